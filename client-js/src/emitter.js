// A minimal event emitter: on/off/once, listeners called in order. A
// listener that throws does not stop the others or the client; its error is
// rethrown asynchronously, as EventTarget reports listener errors.

export class Emitter {
  #listeners = new Map();

  /** Adds `fn` for `event`; returns a function that removes it. */
  on(event, fn) {
    if (typeof fn !== 'function') throw new TypeError('listener must be a function');
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(fn);
    return () => this.off(event, fn);
  }

  off(event, fn) {
    this.#listeners.get(event)?.delete(fn);
  }

  /** Like `on`, for one call only. */
  once(event, fn) {
    const off = this.on(event, (...args) => {
      off();
      fn(...args);
    });
    return off;
  }

  emit(event, payload) {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) return;
    for (const fn of [...set]) {
      try {
        fn(payload);
      } catch (err) {
        setTimeout(() => {
          throw err;
        }, 0);
      }
    }
  }

  listenerCount(event) {
    return this.#listeners.get(event)?.size ?? 0;
  }
}
