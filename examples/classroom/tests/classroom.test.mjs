// End-to-end test of the classroom web app: a real jigsync server serving
// dist/, one real Chromium, and three people (a teacher and the students Ann
// and Bea, later a tablet student Cy) using the pages through the DOM contract
// (data-testid attributes) with real pointer input.
//
// One scenario, run as ordered steps that share state. A step whose
// prerequisite failed is skipped rather than failing with a misleading
// message, so one broken feature does not hide the state of the others.
// Every wait is a bounded poll; none of them is a sleep used as an assertion.
//
// Run: cd examples/classroom && npx vite build && npm test

import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import {
  clearScreenshots,
  dragPiece,
  launchBrowser,
  near,
  openPerson,
  pieceOf,
  poll,
  readBoard,
  screenshot,
  sleep,
  touchDragPiece,
} from './support/browser.mjs';
import {
  ANIMATED_GIF,
  FOCUSED_BOARD,
  MOTION_TOL,
  STUDENT_BOARD,
  firstReachable,
  joinClass,
  longText,
  printPageProblems,
  readMessages,
  readSettled,
  sendChat,
  sendUntilRefused,
  shifted,
  startClass,
  startPuzzle,
  thumbnailOf,
  tid,
  waitForMessage,
  waitForStudentPieces,
} from './support/classroom-pages.mjs';
import { startServer } from './support/server.mjs';
import { scenario } from './support/steps.mjs';

/** The latency budget for a drag position to reach the teacher's screen. */
const MOTION_BUDGET_MS = 1000;

/** Step names, for the `needs` lists. */
const STEP = {
  START: '1 (a) teacher starts a class: join code and share link',
  JOIN: '2 (c) students Ann and Bea join, by code and by share link',
  LOBBY: '2b the projector before a puzzle: the code and the students who joined, with a count',
  PUZZLE: '3 (b) teacher starts a 2x2 individual puzzle; each student gets 4 pieces',
  THUMBS: '4 (d) dashboard: one thumbnail per student with name, progress, online dot',
  SECOND_TAB: '4b Ann opens the class link in a second tab: the same person, same board, count unchanged; "not you?" offers the join form',
  MOTION: "5 (e) teacher sees Ann's held drag within 1 s: thumbnail and focused view",
  CHAT: '6 (f) Ann chats and posts an animated GIF; Bea and the teacher see both',
  WHISPER: '7 (g) Ann whispers to Bea; the teacher sees it marked as a whisper',
  CHAT_LIMITS: '7b a long message is collapsed with "show more"; the composer counts toward the limit; a message over the rate limit stays in the composer',
  LOCK: '8 (h) lock-all pauses students; a drag is refused with a notice; unlock',
  SOLVE: '9 (i) Ann solves her board; everyone is told; progress reaches 1',
  SHOTS: '10 (j) screenshots: student, teacher grid and focused; a tablet student drags by touch',
  KICK: '11 (k) teacher kicks Bea; Bea sees the removed screen; her board leaves the dashboard and the count',
  LOCK_JOIN: '11b the teacher locks joining: Bea cannot come back under a new name; unlocked again',
  RECONNECT:
    '12 the server restarts: Ann sees "reconnecting", a drag is refused as offline, her offline chat arrives once, her board is kept',
  RETURN: '13 the teacher closes the tab and gets back to the class from "Your classes"',
  SPOTLIGHT: "14 the teacher spotlights Ann's board with names hidden; Cy watches it read-only",
  TEACHER_DRAG: "15 the teacher drags a piece on Ann's focused board; Ann sees it",
  RESET: "16 the teacher resets Ann's board: scattered again, progress 0",
  OWNER: '17 the teacher makes Ann the owner',
};

/** The screenshots this test saves (the English interface). */
const SCREENSHOTS = ['projector-lobby-en.png', 'landing-continue-en.png', 'chat-long-en.png', 'chat-limits-en.png', 'student-en.png', 'teacher-dashboard-en.png', 'teacher-focused-en.png', 'student-tablet-en.png'];

/** Everything the steps share. */
const s = {
  server: null,
  browser: null,
  people: [],
  teacher: null,
  ann: null,
  bea: null,
  cy: null,
  code: null,
  shareLink: null,
  annBoard: null, // Ann's board id
  beaBoard: null,
  beaUser: null, // Bea's user id
};

const step = scenario(s, { prefix: 'failure-', timeout: 45_000 });

before(async () => {
  // Only this test's pictures: the cluster test's (cluster-*) and the Korean
  // test's are theirs to clear.
  await clearScreenshots((name) => SCREENSHOTS.includes(name) || name.startsWith('failure-'));
  s.server = await startServer();
  s.browser = await launchBrowser();
  // An English browser: the Korean interface is classroom-korean.test.mjs's.
  s.teacher = await openPerson(s.browser, 'teacher', { locale: 'en-US' });
  s.ann = await openPerson(s.browser, 'ann', { locale: 'en-US' });
  s.bea = await openPerson(s.browser, 'bea', { locale: 'en-US' });
  s.people.push(s.teacher, s.ann, s.bea);
});

after(async () => {
  // Print what the pages complained about even when every step passed: an
  // error in the console is worth a look.
  printPageProblems(s.people);
  await s.browser?.close().catch(() => {});
  await s.server?.stop();
});

// ---------------------------------------------------------------------------
// Page helpers

/** Joins as a student by code on the landing page, or through the teacher's share link. */
function joinAsStudent(person, { code, viaShareLink, name }) {
  return joinClass(person, viaShareLink ? { code, name, shareLink: s.shareLink } : { code, name, baseUrl: s.server.url });
}

/**
 * Ann holds a piece (mouse still down) at a new spot and we measure how long
 * until `watcher`'s copy of her board (`scope`) shows it there.
 */
async function measureMotion(t, watcher, scope, label, delta) {
  const { page } = s.ann;
  const before = await readBoard(page, STUDENT_BOARD);
  // Any piece will do; the first one that can be grabbed.
  const {
    piece: { index },
    result: { drag, target },
  } = await firstReachable(before.pieces, "Ann's board", async (piece) => {
    const target = shifted(before, piece, delta);
    // The check must be able to fail: the target is well away from the start.
    assert.ok(!near(piece, target, 20), `drag target ${JSON.stringify(target)} too close to ${JSON.stringify(piece)}`);
    return { drag: await dragPiece(page, STUDENT_BOARD, piece.index, target, { release: false }), target };
  });
  try {
    // Watch the teacher's copy at once: the clock started at Ann's last move.
    const budgetLeft = Math.max(1, MOTION_BUDGET_MS - (Date.now() - drag.lastMoveAt));
    const remoteSeen = watcher.page
      .waitForFunction(
        ({ scope, index, target, tol }) => {
          const g = document.querySelector(`${scope} svg[data-testid="board"] g[data-piece="${index}"]`);
          if (!g) return false;
          const x = Number(g.getAttribute('data-x'));
          const y = Number(g.getAttribute('data-y'));
          return Math.abs(x - target.x) <= tol && Math.abs(y - target.y) <= tol;
        },
        { scope, index, target, tol: MOTION_TOL },
        { polling: 10, timeout: budgetLeft },
      )
      .then(
        () => ({ ok: true, delay: Date.now() - drag.lastMoveAt }),
        (err) => ({ ok: false, err }),
      );

    // Ann's own display follows her pointer (give or take pixel rounding).
    const local = await poll(
      `Ann's board to show piece ${index} under her pointer at ${JSON.stringify(target)}`,
      () => readBoard(page, STUDENT_BOARD),
      (b) => near(pieceOf(b, index), target, MOTION_TOL),
      { timeout: 2000 },
    ).then((b) => pieceOf(b, index));

    const outcome = await remoteSeen;
    if (!outcome.ok) {
      const seen = await readBoard(watcher.page, scope).catch(() => null);
      const remote = seen ? seen.pieces.find((p) => p.index === index) : null;
      throw new Error(
        `${label}: piece ${index} of Ann's board was not shown near ${JSON.stringify(target)} (Ann shows ` +
          `${JSON.stringify(local)}) within ${MOTION_BUDGET_MS} ms of her last move while she held it; ` +
          `the ${watcher.name} shows ${JSON.stringify(remote)} (${outcome.err.message.split('\n')[0]})`,
      );
    }
    t.diagnostic(`${label}: Ann's held position reached the ${watcher.name} after ${outcome.delay} ms (budget ${MOTION_BUDGET_MS} ms)`);
    console.log(`[motion] ${label}: ${outcome.delay} ms after Ann's last move`);
    return { index, local, delay: outcome.delay };
  } finally {
    await page.mouse.up();
  }
}

/**
 * Starts recording toasts added to `page` from now on; resolves with a
 * function that returns their texts so far.
 */
async function watchNewToasts(page) {
  await page.evaluate(() => {
    window.__e2eToasts?.observer.disconnect();
    const texts = [];
    const observer = new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node.nodeType !== Node.ELEMENT_NODE) continue;
          const toasts = node.matches('[data-testid="toast"]') ? [node] : [...node.querySelectorAll('[data-testid="toast"]')];
          for (const toast of toasts) texts.push(toast.textContent.trim());
        }
      }
    });
    observer.observe(document.body, { childList: true, subtree: true });
    window.__e2eToasts = { observer, texts };
  });
  return () => page.evaluate(() => [...(window.__e2eToasts?.texts ?? [])]);
}

/** Drags a piece of Ann's board; false when no point of it can be grabbed. */
async function tryDrag(page, index, to) {
  try {
    await dragPiece(page, STUDENT_BOARD, index, to);
    return true;
  } catch (err) {
    if (/cannot be grabbed/.test(err.message)) return false;
    throw err;
  }
}

/** The target top-left of piece `i` when the solved picture's top-left is `origin`. */
function solvedSpot(board, cols, origin, i) {
  const row = Math.floor(i / cols);
  const col = i % cols;
  return { x: origin.x + col * board.pieceWidth, y: origin.y + row * board.pieceHeight };
}

// ---------------------------------------------------------------------------
// The scenario

step(STEP.START, [], async () => {
  const { code, shareLink } = await startClass(s.teacher, s.server.url, { teacherName: 'Ms Park', roomName: 'Class 5B' });
  s.code = code;
  s.shareLink = shareLink;
});

step(STEP.JOIN, [STEP.START], async () => {
  await joinAsStudent(s.ann, { code: s.code, viaShareLink: false, name: 'Ann' });
  // Bea uses the share link, which must prefill the code.
  await joinAsStudent(s.bea, { code: s.code, viaShareLink: true, name: 'Bea' });

  // The teacher's participant list shows all three people.
  const { page } = s.teacher;
  await poll(
    "the teacher's participant count to reach 3",
    async () => (await page.locator(tid('participant-count')).textContent({ timeout: 1000 })) ?? '',
    (text) => /\b3\b/.test(text),
  );
  for (const name of ['Ann', 'Bea']) {
    await page.locator(tid('participant')).filter({ hasText: name }).first().waitFor();
  }
  s.beaUser = await page.locator(tid('participant')).filter({ hasText: 'Bea' }).first().getAttribute('data-user');
  assert.ok(s.beaUser, "Bea's participant row has no data-user");
});

step(STEP.LOBBY, [STEP.JOIN], async () => {
  const { page } = s.teacher;
  await page.locator(tid('open-projector')).click();
  const lobby = page.locator(tid('projector-lobby'));
  await lobby.waitFor({ state: 'visible' });
  assert.equal((await page.locator('.projector-code').textContent()).replace(/\s/g, ''), s.code);
  const names = await poll(
    'the projector lobby to list Ann and Bea',
    () => lobby.locator(tid('lobby-name')).allTextContents(),
    (list) => list.length === 2 && ['Ann', 'Bea'].every((n) => list.includes(n)),
  );
  assert.equal(names.includes('Ms Park'), false, 'the teacher is not listed');
  assert.equal((await page.locator(tid('lobby-count')).textContent()).trim(), '2 students have joined');
  await screenshot(page, 'projector-lobby-en.png');
  await page.locator(tid('close-projector')).click();
});

step(STEP.PUZZLE, [STEP.JOIN], async () => {
  await startPuzzle(s.teacher, { rows: 2, cols: 2, mode: 'individual' });

  // Each student present at the start gets a board of 4 pieces.
  const annBoard = await waitForStudentPieces(s.ann, 4);
  const beaBoard = await waitForStudentPieces(s.bea, 4);
  assert.notEqual(annBoard.board, beaBoard.board, 'Ann and Bea share one board in individual mode');
  // Geometry from PROTOCOL.md §6: pieceWidth 100, pieceHeight 100 × (240/320), area twice the picture.
  assert.deepEqual(
    [annBoard.pieceWidth, annBoard.pieceHeight, annBoard.width, annBoard.height],
    [100, 75, 400, 300],
    `board geometry of a 640x480 picture cut 2x2: ${JSON.stringify(annBoard)}`,
  );
  s.annBoard = annBoard.board;
  s.beaBoard = beaBoard.board;

  // The picture loads with the room's upload grant; its bare URL is refused.
  const picture = await poll(
    "Ann's reference picture loaded",
    () =>
      s.ann.page.evaluate(() => {
        const img = document.querySelector('img.reference');
        return img && { src: img.src, complete: img.complete, naturalWidth: img.naturalWidth };
      }),
    (p) => p?.complete && p.naturalWidth > 0,
  );
  assert.match(new URL(picture.src).searchParams.get('grant') ?? '', /^g1\./, `picture URL ${picture.src}`);
  const bare = new URL(picture.src);
  const statuses = [(await fetch(picture.src)).status, (await fetch(bare.origin + bare.pathname)).status];
  assert.deepEqual(statuses, [200, 401], 'the picture with the grant, then without');
});

step(STEP.THUMBS, [STEP.PUZZLE], async () => {
  const { page } = s.teacher;
  const thumbs = await poll(
    'two thumbnails, one for Ann and one for Bea, online, with progress',
    () =>
      page.evaluate(() =>
        [...document.querySelectorAll('[data-testid="thumbnail"]')].map((el) => ({
          board: el.getAttribute('data-board'),
          student: el.getAttribute('data-student'),
          name: el.querySelector('[data-testid="thumb-name"]')?.textContent.trim(),
          progress: el.querySelector('[data-testid="progress"]')?.getAttribute('data-value'),
          online: el.querySelector('[data-testid="online-dot"]')?.getAttribute('data-online'),
          pieces: el.querySelectorAll('svg[data-testid="board"] g[data-piece]').length,
        })),
      ),
    (list) =>
      list.length === 2 &&
      ['Ann', 'Bea'].every((name) => list.some((x) => x.name === name)) &&
      list.every((x) => x.online === 'true' && x.progress !== undefined && x.progress !== null && x.pieces === 4),
  );
  for (const thumb of thumbs) {
    const progress = Number(thumb.progress);
    assert.ok(progress >= 0 && progress <= 1, `progress ${thumb.progress} of ${thumb.name} is not within 0..1`);
  }
  assert.equal(thumbs.find((x) => x.name === 'Ann').board, s.annBoard, "Ann's thumbnail shows another board than hers");
  assert.equal(thumbs.find((x) => x.name === 'Bea').board, s.beaBoard, "Bea's thumbnail shows another board than hers");
  assert.equal(thumbs.find((x) => x.name === 'Bea').student, s.beaUser, "Bea's thumbnail data-student is not her user id");
  // The thumbnails draw the picture through the teacher's grant.
  const fetched = await page.evaluate(() =>
    Promise.all(
      [...document.querySelectorAll('[data-testid="thumbnail"] svg image')].map(async (image) => {
        const href = image.getAttribute('href');
        return { href, status: (await fetch(href)).status };
      }),
    ),
  );
  assert.equal(fetched.length, 2, 'one picture per thumbnail');
  for (const { href, status } of fetched) assert.deepEqual([status, /[?&]grant=g1\./.test(href)], [200, true], href);
});

step(STEP.SECOND_TAB, [STEP.THUMBS], async () => {
  const count = () => s.teacher.page.locator(tid('participant-count')).textContent();
  const countBefore = (await count()).trim();
  // The share link again, in a second tab of Ann's browser.
  const page = await s.ann.context.newPage();
  try {
    await page.goto(s.shareLink);
    const card = page.locator(tid('continue-card'));
    await card.waitFor({ state: 'visible' });
    assert.match(await card.textContent(), /Ann/, 'the card says who she is');
    await screenshot(page, 'landing-continue-en.png');
    await page.locator(tid('continue-as')).click();
    const board = await poll(
      "Ann's board in the second tab",
      () => readBoard(page, STUDENT_BOARD),
      (b) => b !== null && b.pieces.length === 4,
    );
    assert.equal(board.board, s.annBoard, 'the second tab shows her own board');
    assert.equal((await page.locator('.me-name').textContent()).trim(), 'Ann');
    // Not a new participant: the teacher still counts the same people, one thumbnail for Ann.
    await page.locator(tid('participant')).filter({ hasText: 'Ms Park' }).first().waitFor();
    assert.equal((await count()).trim(), countBefore, "the teacher's participant count");
    assert.equal(await s.teacher.page.locator(tid('thumbnail')).filter({ hasText: 'Ann' }).count(), 1);

    // "Not you?" on a shared laptop: the join form, with the code kept.
    const third = await s.ann.context.newPage();
    await third.goto(s.shareLink);
    await third.locator(tid('not-me')).click();
    await third.locator(tid('join-class')).waitFor({ state: 'visible' });
    assert.equal((await third.locator(tid('join-code')).inputValue()).replace(/\s/g, ''), s.code);
    await third.close();
  } finally {
    await page.close();
  }
  // Closing the second tab leaves Ann online in her first one.
  // (Given the server time to see the tab go: the dot must still be on after that.)
  await sleep(1500);
  const online = await s.teacher.page.locator(`${thumbnailOf(s.annBoard)} ${tid('online-dot')}`).getAttribute('data-online');
  assert.equal(online, 'true', "Ann's thumbnail after her second tab closed");
});

step(STEP.MOTION, [STEP.THUMBS], async (t) => {
  const { page } = s.teacher;
  // Thumbnails get positions at the thumbnail rate (4 Hz); still well under a second.
  await measureMotion(t, s.teacher, thumbnailOf(s.annBoard), 'thumbnail', { x: 70, y: 45 });

  await page.locator(thumbnailOf(s.annBoard)).click();
  await poll(
    "the focused view of Ann's board",
    () => page.locator(FOCUSED_BOARD).getAttribute('data-board', { timeout: 1000 }),
    (board) => board === s.annBoard,
  );
  await poll(
    "the focused view's board svg with 4 pieces",
    () => readBoard(page, FOCUSED_BOARD),
    (b) => b?.board === s.annBoard && b.pieces.length === 4,
  );
  // The focused board gets positions at the full rate (30 Hz).
  await measureMotion(t, s.teacher, FOCUSED_BOARD, 'focused view', { x: -60, y: 50 });

  await page.locator(tid('close-focus')).click();
  await page.locator(thumbnailOf(s.annBoard)).waitFor({ state: 'visible' });
});

step(STEP.CHAT, [STEP.JOIN], async () => {
  const text = `Hello from Ann ${Date.now() % 10000}`;
  await sendChat(s.ann, text);
  for (const person of [s.bea, s.teacher]) {
    const message = await waitForMessage(person, `Ann's chat "${text}"`, (m) => m.kind === 'chat' && m.text?.includes(text));
    assert.match(message.author ?? '', /Ann/, `${person.name} shows the author of Ann's message as ${message.author}`);
  }
  // Ann gets her own message back too (her page may label it "You").
  await waitForMessage(s.ann, `her own chat "${text}"`, (m) => m.kind === 'chat' && m.text?.includes(text));

  // Choosing a file posts it at once, with the input's text as the caption.
  await s.ann.page.locator(tid('chat-input')).fill('look at this');
  await s.ann.page.locator(tid('chat-attach')).setInputFiles(ANIMATED_GIF);
  for (const person of [s.bea, s.teacher]) {
    const img = await poll(
      `${person.name} to see Ann's GIF loaded inline`,
      () =>
        person.page.evaluate(() =>
          [...document.querySelectorAll('[data-testid="chat-list"] [data-testid="message"]')]
            .map((m) => {
              const image = m.querySelector('img[data-testid="message-image"]');
              return image
                ? {
                    src: image.currentSrc || image.src,
                    complete: image.complete,
                    naturalWidth: image.naturalWidth,
                    author: m.querySelector('[data-testid="message-author"]')?.textContent.trim(),
                  }
                : null;
            })
            .filter(Boolean),
        ),
      (images) => images.some((i) => /\.gif$/.test(new URL(i.src).pathname) && i.complete && i.naturalWidth > 0),
    ).then((images) => images.find((i) => /\.gif$/.test(new URL(i.src).pathname)));
    assert.match(img.author ?? '', /Ann/, `${person.name} shows the GIF's author as ${img.author}`);
  }
});

step(STEP.WHISPER, [STEP.JOIN], async () => {
  const { page } = s.ann;
  const secret = `psst Bea ${Date.now() % 10000}`;
  await page.locator(tid('chat-to')).selectOption({ label: 'Bea' });
  await sendChat(s.ann, secret);
  const atBea = await waitForMessage(s.bea, `Ann's whisper "${secret}"`, (m) => m.text?.includes(secret));
  assert.equal(atBea.kind, 'whisper', `Bea shows Ann's whisper with data-kind=${atBea.kind}`);
  assert.match(atBea.author ?? '', /Ann/);
  await waitForMessage(s.ann, `her own whisper "${secret}"`, (m) => m.kind === 'whisper' && m.text?.includes(secret));

  // PROTOCOL.md §3: a whisper also reaches the room's teachers, marked as
  // one, with whom it went to.
  const atTeacher = await waitForMessage(s.teacher, `Ann's whisper "${secret}"`, (m) => m.text?.includes(secret));
  assert.equal(atTeacher.kind, 'whisper');
  assert.match(atTeacher.author ?? '', /Ann/);
  await page.locator(tid('chat-to')).selectOption('');
});

step(STEP.CHAT_LIMITS, [STEP.JOIN], async () => {
  // A long message: five lines shown, the rest behind "Show more".
  const long = longText(900);
  await sendChat(s.ann, long);
  const { page } = s.bea;
  const item = page.locator(tid('message')).filter({ hasText: long.slice(0, 40) }).last();
  await item.waitFor();
  const clipped = () => item.locator(tid('message-text')).evaluate((el) => el.scrollHeight > el.clientHeight + 1);
  assert.equal(await clipped(), true, 'the long message is collapsed');
  const toggle = item.locator(tid('show-more'));
  assert.equal((await toggle.textContent()).trim(), 'Show more');
  await toggle.click();
  assert.equal(await clipped(), false, '"Show more" shows all of it');
  assert.equal((await toggle.textContent()).trim(), 'Show less');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  await toggle.click();
  assert.equal(await clipped(), true, '"Show less" collapses it again');

  // The composer counts from 80% of the limit, and says how much is too much.
  const input = page.locator(tid('chat-input'));
  const count = page.locator(tid('chat-count'));
  await input.fill(longText(1000));
  assert.equal(await count.isVisible(), false, 'no counter far from the limit');
  await input.fill(longText(1700));
  assert.equal((await count.textContent()).trim(), '1700 / 2000 characters');
  await input.fill(longText(2003));
  assert.equal((await count.textContent()).trim(), '3 characters too many (at most 2000)');
  assert.equal(await page.locator(tid('chat-send')).isDisabled(), true, 'an over-long message cannot be sent');
  assert.equal([...(await input.inputValue())].length, 2003, 'nothing was cut');
  await item.scrollIntoViewIfNeeded();
  await screenshot(page, 'chat-long-en.png');
  await input.fill('');

  // Sending faster than the chat budget: the refused text comes back to the composer, with a notice.
  const { texts, composer, notice } = await sendUntilRefused(s.bea, 'quick');
  assert.match(notice, /sending quickly/);
  assert.match(composer, /quick \d+/, `the refused message is in the composer: "${composer}"`);
  await screenshot(page, 'chat-limits-en.png');
  // Nothing lost: once the budget has refilled, the composer's text goes through.
  await sleep(1500);
  await page.locator(tid('chat-send')).click();
  await page.locator(tid('chat-notice')).waitFor({ state: 'hidden' });
  for (const text of texts) {
    await waitForMessage(s.teacher, `Bea's "${text}"`, (m) => m.kind === 'chat' && (m.text === text || m.text?.split(/(?= quick )/).map((x) => x.trim()).includes(text)));
  }
});

step(STEP.LOCK, [STEP.PUZZLE], async (t) => {
  const { page } = s.teacher;
  await page.locator(tid('lock-all')).click();
  await poll(
    'lock-all to report data-locked="true"',
    () => page.locator(tid('lock-all')).getAttribute('data-locked', { timeout: 1000 }),
    (v) => v === 'true',
  );
  for (const person of [s.ann, s.bea]) {
    await person.page.locator(tid('locked-overlay')).waitFor({ state: 'visible' });
  }

  // Bea tries anyway. The overlay may or may not let the pointer through;
  // either way the piece must stay and she must be told why.
  const before = await readBoard(s.bea.page, STUDENT_BOARD);
  const piece = before.pieces[0];
  const target = shifted(before, piece, { x: 80, y: 60 });
  // Only a notice that appears after the drag counts: one shown when the
  // lock arrived would prove nothing about the refusal.
  const newToasts = await watchNewToasts(s.bea.page);
  const drag = await dragPiece(s.bea.page, STUDENT_BOARD, piece.index, target, { requireHit: false });
  t.diagnostic(`Bea's drag started on ${drag.grab.ok ? 'the piece itself' : `a covered point`}`);
  await poll(
    "a new toast on Bea's page saying the puzzle is paused",
    newToasts,
    (texts) => texts.some((text) => /paused/i.test(text)),
    { timeout: 5000 },
  ).catch((err) => {
    err.message += ` (the drag started on ${drag.grab.ok ? 'the piece' : 'a covered point'})`;
    throw err;
  });
  const afterDrag = await readBoard(s.bea.page, STUDENT_BOARD);
  assert.ok(
    near(pieceOf(afterDrag, piece.index), piece, 0.5),
    `piece ${piece.index} moved on a locked board: ${JSON.stringify(piece)} -> ${JSON.stringify(pieceOf(afterDrag, piece.index))}`,
  );
  // The teacher's copy of Bea's board did not move either.
  const teacherCopy = await readBoard(page, thumbnailOf(s.beaBoard));
  assert.ok(
    near(pieceOf(teacherCopy, piece.index), piece, 0.5),
    `the teacher sees piece ${piece.index} of Bea's locked board moved: ${JSON.stringify(pieceOf(teacherCopy, piece.index))}`,
  );

  await page.locator(tid('lock-all')).click();
  await poll(
    'lock-all to report data-locked="false"',
    () => page.locator(tid('lock-all')).getAttribute('data-locked', { timeout: 1000 }),
    (v) => v === 'false',
  );
  for (const person of [s.ann, s.bea]) {
    await person.page.locator(tid('locked-overlay')).waitFor({ state: 'hidden' });
  }
});

step(STEP.SOLVE, [STEP.PUZZLE], async (t) => {
  const { page } = s.ann;
  const rows = 2;
  const cols = 2;
  let board = await readSettled(page, STUDENT_BOARD);
  const count = board.pieces.length;
  assert.equal(count, rows * cols);
  const { pieceWidth: pw, pieceHeight: ph } = board;
  // Where the solved picture's top-left should be: centred at first, later
  // wherever the anchor (the first piece placed) really is, snapped or not.
  let origin = { x: (board.width - cols * pw) / 2, y: (board.height - rows * ph) / 2 };
  let anchor = null;
  const placed = (b, i) => near(pieceOf(b, i), solvedSpot(b, cols, origin, i), 1);
  const followAnchor = () => {
    const at = pieceOf(board, anchor);
    const spot = solvedSpot(board, cols, { x: 0, y: 0 }, anchor);
    origin = { x: at.x - spot.x, y: at.y - spot.y };
  };

  for (let round = 0; round < 4 * count && !board.pieces.every((p) => placed(board, p.index)); round++) {
    // Piece 0 first (lowest index first), skipping pieces something covers.
    const todo = board.pieces.filter((p) => !placed(board, p.index)).map((p) => p.index);
    let moved = null;
    for (const index of todo) {
      if (await tryDrag(page, index, solvedSpot(board, cols, origin, index))) {
        moved = index;
        break;
      }
    }
    if (moved === null) {
      // Every piece still to place lies under the part already assembled:
      // carry the assembled part to the corner that covers them least.
      const hidden = todo.map((i) => pieceOf(board, i));
      const corners = [
        { x: 5, y: 5 },
        { x: board.width - cols * pw - 5, y: 5 },
        { x: 5, y: board.height - rows * ph - 5 },
        { x: board.width - cols * pw - 5, y: board.height - rows * ph - 5 },
      ];
      const overlap = (o) =>
        hidden.reduce((sum, p) => {
          const w = Math.min(o.x + cols * pw, p.x + pw) - Math.max(o.x, p.x);
          const h = Math.min(o.y + rows * ph, p.y + ph) - Math.max(o.y, p.y);
          return sum + Math.max(0, w) * Math.max(0, h);
        }, 0);
      const corner = corners.sort((a, b) => overlap(a) - overlap(b))[0];
      const carriers = board.pieces.filter((p) => placed(board, p.index)).map((p) => p.index);
      for (const index of carriers) {
        if (await tryDrag(page, index, solvedSpot(board, cols, corner, index))) {
          moved = index;
          anchor = index; // the carried piece defines the new place
          break;
        }
      }
      assert.ok(moved !== null, `no piece of Ann's board can be grabbed: ${JSON.stringify(board)}`);
      t.diagnostic(`carried the assembled part (grabbed by piece ${moved}) to ${JSON.stringify(corner)}`);
    }
    board = await readSettled(page, STUDENT_BOARD);
    if (anchor === null) anchor = moved;
    followAnchor();
    t.diagnostic(`dropped piece ${moved}; pieces now ${JSON.stringify(board.pieces)}`);
  }
  assert.ok(
    board.pieces.every((p) => placed(board, p.index)),
    `Ann's pieces are not in their solved places relative to each other: ${JSON.stringify(board)}`,
  );

  await page.locator(tid('solved')).waitFor({ state: 'visible' });
  for (const person of [s.ann, s.bea, s.teacher]) {
    await waitForMessage(person, 'a system message saying the board was solved', (m) => m.kind === 'system' && /solved/i.test(m.text ?? ''));
  }
  await poll(
    "Ann's own progress to read 1",
    () => page.locator(`${STUDENT_BOARD} ${tid('progress')}, ${tid('progress')}`).first().getAttribute('data-value', { timeout: 1000 }),
    (v) => Number(v) >= 0.999,
  );
  await poll(
    "the teacher's thumbnail of Ann's board to show progress 1",
    () => s.teacher.page.locator(`${thumbnailOf(s.annBoard)} ${tid('progress')}`).getAttribute('data-value', { timeout: 1000 }),
    (v) => Number(v) >= 0.999,
  );
});

step(STEP.SHOTS, [STEP.START], async (t) => {
  const files = [];
  files.push(await screenshot(s.ann.page, 'student-en.png'));
  files.push(await screenshot(s.teacher.page, 'teacher-dashboard-en.png'));
  if (s.annBoard) {
    await s.teacher.page.locator(thumbnailOf(s.annBoard)).click();
    await s.teacher.page.locator(FOCUSED_BOARD).waitFor({ state: 'visible' });
    files.push(await screenshot(s.teacher.page, 'teacher-focused-en.png'));
    await s.teacher.page.locator(tid('close-focus')).click();
  }

  // A late student on a tablet: individual mode gives them a board too.
  s.cy = await openPerson(s.browser, 'cy', { viewport: { width: 820, height: 1180 }, hasTouch: true, locale: 'en-US' });
  s.people.push(s.cy);
  await joinAsStudent(s.cy, { code: s.code, viaShareLink: true, name: 'Cy' });
  if (s.annBoard) await waitForStudentPieces(s.cy, 4);
  await waitForMessage(s.cy, "Ann's chat (history)", (m) => m.author?.includes('Ann'), { timeout: 5000 }).catch(() => {
    t.diagnostic('Cy (joined late) does not see earlier chat messages from Ann; history may not be shown to late joiners');
  });
  if (s.annBoard) {
    // Zoom for small screens: the buttons change the view, fit restores it.
    const viewBox = () => s.cy.page.locator(`${STUDENT_BOARD} svg[data-testid=board]`).getAttribute('viewBox');
    const fitted = await viewBox();
    await s.cy.page.locator(tid('zoom-in')).click();
    const zoomed = await viewBox();
    assert.ok(
      Number(zoomed.split(' ')[2]) < Number(fitted.split(' ')[2]) * 0.8,
      `zoom-in should narrow the view: ${fitted} -> ${zoomed}`,
    );
    await s.cy.page.locator(tid('zoom-fit')).click();
    assert.equal(await viewBox(), fitted, 'zoom-fit shows the whole table again');

    // A finger drag: touch input reaches the board as pointer events.
    const before = await readBoard(s.cy.page, STUDENT_BOARD);
    // The first piece a finger can reach (pieces may lie on top of each other).
    const { piece, result: target } = await firstReachable(before.pieces, "Cy's board", async (candidate) => {
      const to = shifted(before, candidate, { x: 60, y: 40 });
      await touchDragPiece(s.cy.page, STUDENT_BOARD, candidate.index, to);
      return to;
    });
    // It lands at the target, or snapped onto a neighbour it was dropped next to.
    const after = await poll(
      `Cy's piece ${piece.index} to land near ${JSON.stringify(target)} (or snap) after a touch drag`,
      () => readBoard(s.cy.page, STUDENT_BOARD),
      (board) => {
        const moved = pieceOf(board, piece.index);
        return near(moved, target, MOTION_TOL) || (moved.group !== piece.group && !near(moved, piece, 20));
      },
    );
    const landed = pieceOf(after, piece.index);
    const cyBoard = before.board;
    await poll(
      `the teacher's thumbnail of Cy's board to show the touch-dragged piece at ${JSON.stringify(landed)}`,
      () => readBoard(s.teacher.page, thumbnailOf(cyBoard)),
      (board) => board !== null && near(pieceOf(board, piece.index), landed, 0.5),
    );
  }
  // Chatting on a tablet keeps the board in view: the page itself does not scroll.
  const boardTop = () => s.cy.page.evaluate(() => ({ scrollY, top: document.querySelector('[data-testid="student-board"]').getBoundingClientRect().top }));
  const beforeChat = await boardTop();
  await s.cy.page.locator(tid('chat-input')).tap();
  await sendChat(s.cy, 'hi from the tablet');
  await waitForMessage(s.cy, 'his own chat from the tablet', (m) => m.kind === 'chat' && m.text === 'hi from the tablet');
  const afterChat = await boardTop();
  assert.deepEqual(afterChat, beforeChat, 'chatting on the tablet moved the board');
  files.push(await screenshot(s.cy.page, 'student-tablet-en.png'));
  t.diagnostic(`screenshots:\n  ${files.join('\n  ')}`);
});

step(STEP.KICK, [STEP.JOIN], async () => {
  const { page } = s.teacher;
  const boardsBefore = await page.locator(tid('thumbnail')).count();
  const row = page.locator(`${tid('participant')}[data-user="${s.beaUser}"]`);
  await row.locator(tid('kick')).click();
  await page.locator(tid('confirm-ok')).click();
  await s.bea.page.locator(tid('removed-screen')).waitFor({ state: 'visible' });
  // Kicked members are no longer active: the teacher's list drops Bea.
  await row.waitFor({ state: 'detached' });
  if (s.beaBoard !== null) {
    // Her board is no longer part of the class: off the grid and out of "N of M solved".
    await page.locator(thumbnailOf(s.beaBoard)).waitFor({ state: 'detached' });
    const count = new RegExp(` of ${boardsBefore - 1} solved$`);
    await poll('the solved count without Bea', () => page.locator(tid('solved-summary')).textContent(), (text) => count.test(text));
  }
});

step(STEP.LOCK_JOIN, [STEP.KICK], async () => {
  const { page } = s.teacher;
  const lock = page.locator(tid('lock-joining'));
  await lock.click();
  await page.locator(tid('joining-locked')).waitFor({ state: 'visible' });
  assert.equal(await lock.getAttribute('data-locked'), 'true');
  // Bea, removed, tries the share link again under another name.
  const bea = s.bea.page;
  await bea.goto(`${s.server.url}/?code=${s.code}`);
  await bea.locator(tid('student-name')).fill('Bea again');
  await bea.locator(tid('join-class')).click();
  await poll("Bea's join error", () => bea.locator(tid('join-error')).textContent(), (text) => /closed to new students/.test(text));
  await lock.click();
  await page.locator(tid('joining-locked')).waitFor({ state: 'hidden' });
  assert.equal(await lock.getAttribute('data-locked'), 'false');
  // The refused join is the point of this step, not a problem worth printing.
  s.bea.problems.splice(0, s.bea.problems.length, ...s.bea.problems.filter((line) => !/409/.test(line)));
});


step(STEP.RECONNECT, [STEP.SOLVE], async () => {
  const ann = s.ann.page;
  const banner = ann.locator(tid('connection-banner'));
  assert.equal(await banner.isVisible(), false, 'no reconnecting banner while connected');

  const logged = s.people.map((person) => person.problems.length);
  await s.server.stopProcess();
  await banner.waitFor({ state: 'visible' });
  // A drag while offline cannot start (the grab needs the server): the piece
  // stays, and the notice says so instead of promising to send it later.
  const offlineToasts = await watchNewToasts(ann);
  const before = await readBoard(ann, STUDENT_BOARD);
  const piece = before.pieces[0];
  await dragPiece(ann, STUDENT_BOARD, piece.index, shifted(before, piece, { x: 60, y: 40 }), { requireHit: false });
  const notices = await poll("a toast on Ann's page about the offline drag", offlineToasts, (texts) => texts.length > 0, { timeout: 5000 });
  assert.ok(
    notices.some((text) => /cannot move until the connection is back/i.test(text)) && !notices.some((text) => /will be sent/i.test(text)),
    `the offline drag's notice: ${JSON.stringify(notices)}`,
  );
  assert.ok(near(pieceOf(await readBoard(ann, STUDENT_BOARD), piece.index), piece, 0.5), 'a piece moved while offline');
  // Written while offline: shown as pending, sent once the connection is back.
  const text = `typed while offline ${Date.now()}`;
  await sendChat(s.ann, text);
  await ann.locator(tid('message-pending')).waitFor({ state: 'visible' });

  await s.server.startProcess();
  await banner.waitFor({ state: 'hidden', timeout: 20_000 });
  // Refused connection attempts while the server was down are the point of
  // this step, not problems worth printing.
  s.people.forEach((person, i) => {
    const during = person.problems.splice(logged[i]);
    person.problems.push(...during.filter((line) => !/ERR_CONNECTION_REFUSED/.test(line)));
  });
  for (const person of [s.ann, s.teacher]) {
    await waitForMessage(person, 'the chat Ann wrote while offline', (m) => m.text === text, { timeout: 15_000 });
    const copies = (await readMessages(person.page)).filter((m) => m.text === text).length;
    assert.equal(copies, 1, `${person.name} sees the offline chat ${copies} times`);
  }
  await ann.locator(tid('message-pending')).waitFor({ state: 'detached' });
  // Her solved board survived the restart, on her screen and the teacher's.
  await ann.locator(tid('solved')).waitFor({ state: 'visible' });
  await poll(
    "the teacher's thumbnail of Ann's board to show progress 1 after the restart",
    () => s.teacher.page.locator(`${thumbnailOf(s.annBoard)} ${tid('progress')}`).getAttribute('data-value', { timeout: 1000 }),
    (v) => Number(v) >= 0.999,
  );
});

step(STEP.RETURN, [STEP.THUMBS], async () => {
  const { context } = s.teacher;
  await s.teacher.page.close();
  const page = await context.newPage();
  s.teacher.page = page;
  await page.goto(`${s.server.url}/`);
  const recent = page.locator(tid('recent-classes'));
  await recent.waitFor({ state: 'visible' });
  assert.match(await recent.textContent(), new RegExp(s.code.slice(0, 3)), 'the class is listed with its code');
  await recent.locator(tid('continue-class')).first().click();
  assert.equal((await page.locator(tid('room-code')).textContent()).trim(), s.code);
  // Still the teacher: the dashboard with Ann's live board.
  await page.locator(thumbnailOf(s.annBoard)).waitFor({ state: 'visible' });
});

/** Opens the teacher's focused view of Ann's board (from the grid, or already open). */
async function focusAnnBoard() {
  const { page } = s.teacher;
  const focused = page.locator(`${FOCUSED_BOARD}[data-board="${s.annBoard}"]`);
  if (!(await focused.isVisible())) {
    if (await page.locator(tid('close-focus')).isVisible()) await page.locator(tid('close-focus')).click();
    await page.locator(thumbnailOf(s.annBoard)).click();
  }
  await focused.waitFor({ state: 'visible' });
  return focused;
}

step(STEP.SPOTLIGHT, [STEP.RETURN, STEP.SHOTS], async () => {
  const { page } = s.teacher;
  await focusAnnBoard();
  await page.locator(tid('hide-names')).check();
  await page.locator(tid('spotlight')).click();
  const cy = s.cy.page;
  const banner = cy.locator(tid('spotlight-banner'));
  await banner.waitFor({ state: 'visible' });
  const text = await banner.textContent();
  assert.doesNotMatch(text, /Ann/, `names are hidden: ${text}`);
  // Cy is shown Ann's board, and cannot move its pieces.
  await poll(
    "Cy's screen to show Ann's board",
    () => readBoard(cy, STUDENT_BOARD),
    (board) => board?.board === String(s.annBoard),
  );
  const interactive = await cy.locator(`${STUDENT_BOARD} svg[data-testid=board]`).getAttribute('class');
  assert.doesNotMatch(interactive, /\binteractive\b/, 'the spotlighted board offers no dragging to a non-member');
  const before = await readSettled(cy, STUDENT_BOARD);
  const piece = before.pieces[0];
  const target = shifted(before, piece, { x: 70, y: 50 });
  await dragPiece(cy, STUDENT_BOARD, piece.index, target, { requireHit: false });
  const after = await readSettled(cy, STUDENT_BOARD);
  assert.ok(near(pieceOf(after, piece.index), piece, 0.5), 'a spotlighted board is read-only for a non-member');
  // Ann's own screen says her board is on show.
  await s.ann.page.locator(tid('spotlight-banner')).filter({ hasText: 'Your board' }).waitFor({ state: 'visible' });

  await page.locator(tid('spotlight')).click();
  await banner.waitFor({ state: 'hidden' });
  await poll("Cy's screen to show Cy's own board again", () => readBoard(cy, STUDENT_BOARD), (b) => b?.board !== String(s.annBoard));
});

step(STEP.TEACHER_DRAG, [STEP.RETURN], async () => {
  const { page } = s.teacher;
  await focusAnnBoard();
  const scope = `${FOCUSED_BOARD}[data-board="${s.annBoard}"]`;
  const before = await readSettled(page, scope);
  const moved = await firstReachable(before.pieces, "Ann's board in the focused view", (piece) =>
    dragPiece(page, scope, piece.index, shifted(before, piece, { x: -80, y: 60 })),
  );
  const landed = pieceOf(await readSettled(page, scope), moved.piece.index);
  assert.ok(!near(landed, moved.piece, 20), `the teacher's drag moved the piece: ${JSON.stringify(landed)}`);
  await poll(
    `Ann's board to show the teacher's move to ${JSON.stringify(landed)}`,
    () => readBoard(s.ann.page, STUDENT_BOARD),
    (board) => board !== null && near(pieceOf(board, moved.piece.index), landed, 0.5),
  );
});

step(STEP.RESET, [STEP.SOLVE, STEP.RETURN], async () => {
  const { page } = s.teacher;
  await focusAnnBoard();
  await page.locator(tid('reset-board')).click();
  await page.locator(tid('confirm-ok')).click();
  await poll(
    "Ann's progress to drop back to 0 after the reset",
    () => s.ann.page.locator(`${STUDENT_BOARD} ${tid('progress')}, ${tid('progress')}`).first().getAttribute('data-value', { timeout: 1000 }),
    (v) => Number(v) === 0,
  );
  await s.ann.page.locator(tid('solved')).waitFor({ state: 'hidden' });
  const board = await readSettled(s.ann.page, STUDENT_BOARD);
  assert.equal(new Set(board.pieces.map((p) => p.group)).size, board.pieces.length, 'every piece is its own group again');
  await page.locator(tid('close-focus')).click();
});

step(STEP.OWNER, [STEP.RETURN], async () => {
  const { page } = s.teacher;
  const annUser = await page.locator(tid('participant')).filter({ hasText: 'Ann' }).first().getAttribute('data-user');
  await page.locator(`${tid('participant')}[data-user="${annUser}"] ${tid('make-owner')}`).click();
  await page.locator(tid('confirm-ok')).click();
  await page.locator(`${tid('participant')}[data-user="${annUser}"]`).filter({ hasText: 'owner' }).waitFor({ state: 'visible' });
  // Only the owner may end the class: the button moves to Ann.
  await page.locator(tid('end-class')).waitFor({ state: 'hidden' });
  await s.ann.page.locator(tid('end-class')).waitFor({ state: 'visible' });
  await waitForMessage(s.ann, 'the ownership system message', (m) => m.kind === 'system' && /Ann/.test(m.text ?? '') && /own/i.test(m.text ?? ''));
});
