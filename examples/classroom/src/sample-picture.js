// A picture to puzzle when the teacher has none at hand: a landscape drawn
// on a canvas, different every time, uploaded like any other picture.

function rand(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

/** Draws the scene and resolves with it as a PNG Blob (800 × 600). */
export function samplePicture(seed = Date.now()) {
  const random = rand(seed);
  const canvas = document.createElement('canvas');
  canvas.width = 800;
  canvas.height = 600;
  const ctx = canvas.getContext('2d');
  const hue = Math.floor(random() * 360);

  const sky = ctx.createLinearGradient(0, 0, 0, 420);
  sky.addColorStop(0, `hsl(${hue} 70% 55%)`);
  sky.addColorStop(1, `hsl(${(hue + 40) % 360} 85% 80%)`);
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, 800, 600);

  ctx.fillStyle = `hsl(${(hue + 60) % 360} 95% 65%)`;
  ctx.beginPath();
  ctx.arc(160 + random() * 480, 130 + random() * 60, 60, 0, Math.PI * 2);
  ctx.fill();

  for (let layer = 0; layer < 4; layer++) {
    ctx.fillStyle = `hsl(${(hue + 150 + layer * 12) % 360} ${45 + layer * 8}% ${55 - layer * 10}%)`;
    ctx.beginPath();
    ctx.moveTo(0, 600);
    const base = 300 + layer * 70;
    for (let x = 0; x <= 800; x += 40) ctx.lineTo(x, base - Math.sin(x / (90 + layer * 30) + random()) * (50 - layer * 8) - random() * 20);
    ctx.lineTo(800, 600);
    ctx.closePath();
    ctx.fill();
  }

  for (let i = 0; i < 14; i++) {
    const x = random() * 800;
    const y = 440 + random() * 140;
    ctx.fillStyle = `hsl(${(hue + 180 + i * 20) % 360} 80% 60%)`;
    ctx.beginPath();
    ctx.arc(x, y, 8 + random() * 10, 0, Math.PI * 2);
    ctx.fill();
  }

  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('canvas'))), 'image/png'));
}
