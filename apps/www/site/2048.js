// unikit www: the 2048 game. Plain JavaScript, no dependencies.
//
// Rules: a 4x4 board. A move slides every tile as far as it goes in one direction; two equal
// tiles that meet join into their sum (added to the score), and a tile joins at most once per
// move; tiles nearer the wall the move goes towards join first. After a move that changed the
// board a new tile appears on a random empty cell: 2 with probability 0.9, else 4. Reaching
// 2048 wins (the player may keep going); the game is over when no move can change the board.
//
// Test hooks (see tests/browser): ?seed=N seeds the random generator (same seed, same game);
// ?board=v0,v1,...,v15 starts from the given tiles (row by row, 0 = empty). The DOM shows the
// state: every cell of #board has data-value, data-row, data-col; #board has data-state
// (playing | won | over), data-moves and data-seed; #score has data-score.
"use strict";
(function () {
  var SIZE = 4;
  var CELLS = SIZE * SIZE;
  var WIN = 2048;
  var BEST_KEY = "unikit-2048-best";
  var NAMES = { left: "Left", right: "Right", up: "Up", down: "Down" };

  // --- random numbers: xorshift32 over a scrambled seed --------------------------------------
  function makeRng(seed) {
    var s = Math.imul((seed >>> 0) ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
    if (s === 0) s = 0x2545f491;
    function next() {
      s ^= s << 13; s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5; s >>>= 0;
      return s / 4294967296;
    }
    for (var i = 0; i < 8; i++) next();  // small seeds start with small states: stir first
    return next;
  }

  // --- the rules, on a plain array of 16 numbers (0 = empty), row by row ---------------------
  // Indices of line k (0..3) for a move in direction dir, listed from the wall the tiles move
  // towards.
  function lineIndices(dir, k) {
    var out = [];
    for (var j = 0; j < SIZE; j++) {
      if (dir === "left") out.push(k * SIZE + j);
      else if (dir === "right") out.push(k * SIZE + (SIZE - 1 - j));
      else if (dir === "up") out.push(j * SIZE + k);
      else out.push((SIZE - 1 - j) * SIZE + k);
    }
    return out;
  }

  // Slides one line towards index 0. Returns the new line, the points gained and the positions
  // (in the new line) of tiles that were joined.
  function slideLine(line) {
    var tiles = line.filter(function (v) { return v !== 0; });
    var out = [], joined = [], gained = 0;
    for (var i = 0; i < tiles.length; i++) {
      if (i + 1 < tiles.length && tiles[i] === tiles[i + 1]) {
        out.push(tiles[i] * 2);
        joined.push(out.length - 1);
        gained += tiles[i] * 2;
        i++;  // the second tile is used up: no tile joins twice
      } else {
        out.push(tiles[i]);
      }
    }
    while (out.length < SIZE) out.push(0);
    return { line: out, gained: gained, joined: joined };
  }

  // The board after a move: { grid, gained, joined (board indices), changed }.
  function slide(grid, dir) {
    var next = grid.slice(), gained = 0, joined = [], changed = false;
    for (var k = 0; k < SIZE; k++) {
      var idx = lineIndices(dir, k);
      var r = slideLine(idx.map(function (i) { return grid[i]; }));
      gained += r.gained;
      r.joined.forEach(function (p) { joined.push(idx[p]); });
      idx.forEach(function (i, p) {
        if (next[i] !== r.line[p]) changed = true;
        next[i] = r.line[p];
      });
    }
    return { grid: next, gained: gained, joined: joined, changed: changed };
  }

  function canMove(grid) {
    for (var i = 0; i < CELLS; i++) {
      if (grid[i] === 0) return true;
      var col = i % SIZE;
      if (col < SIZE - 1 && grid[i] === grid[i + 1]) return true;
      if (i + SIZE < CELLS && grid[i] === grid[i + SIZE]) return true;
    }
    return false;
  }

  // Puts a 2 (90%) or 4 (10%) on a random empty cell; returns its index, or -1 when full.
  function spawn(grid, rng) {
    var empty = [];
    for (var i = 0; i < CELLS; i++) if (grid[i] === 0) empty.push(i);
    if (!empty.length) return -1;
    var at = empty[Math.floor(rng() * empty.length)];
    grid[at] = rng() < 0.9 ? 2 : 4;
    return at;
  }

  function maxTile(grid) { return Math.max.apply(null, grid); }

  // --- URL test hooks -------------------------------------------------------------------------
  var params = new URLSearchParams(location.search);
  function parseSeed(text) {
    if (text === null || !/^\d{1,10}$/.test(text)) return null;
    var n = Number(text);
    return n <= 4294967295 ? n : null;
  }
  function parseBoard(text) {
    if (!text) return null;
    var parts = text.split(",");
    if (parts.length !== CELLS) return null;
    var grid = parts.map(Number);
    var ok = grid.every(function (v) {
      return Number.isInteger(v) && (v === 0 || (v >= 2 && (v & (v - 1)) === 0));
    });
    return ok ? grid : null;
  }
  var seed = parseSeed(params.get("seed"));
  if (seed === null) {
    var buf = new Uint32Array(1);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(buf);
    else buf[0] = Math.floor(Math.random() * 4294967296);
    seed = buf[0];
  }
  var startBoard = parseBoard(params.get("board"));
  var rng = makeRng(seed);

  // --- the page ------------------------------------------------------------------------------
  var board = document.getElementById("board");
  var scoreEl = document.getElementById("score");
  var bestEl = document.getElementById("best");
  var statusEl = document.getElementById("status");
  var overlay = document.getElementById("overlay");
  var overlayText = document.getElementById("overlay-text");
  var keepGoingBtn = document.getElementById("keep-going");
  var tryAgainBtn = document.getElementById("try-again");
  var newGameBtn = document.getElementById("new-game");

  var game = { grid: [], score: 0, best: 0, state: "playing", keepPlaying: false, moves: 0 };
  var cells = [];
  var shown = [];  // the values on screen, to redraw only the cells that changed

  function loadBest() {
    try { return Number(localStorage.getItem(BEST_KEY)) || 0; } catch (e) { return 0; }
  }
  function saveBest(v) {
    try { localStorage.setItem(BEST_KEY, String(v)); } catch (e) { /* storage disabled */ }
  }

  function buildBoard() {
    board.textContent = "";
    for (var r = 0; r < SIZE; r++) {
      var row = document.createElement("div");
      row.className = "row";
      for (var c = 0; c < SIZE; c++) {
        var cell = document.createElement("div");
        cell.className = "cell";
        cell.dataset.row = r;
        cell.dataset.col = c;
        cell.dataset.value = "0";
        row.appendChild(cell);
        cells.push(cell);
        shown.push(-1);
      }
      board.appendChild(row);
    }
  }

  // Draws the board; tiles at the indices in fresh (new) and joined get an animation.
  function render(fresh, joined) {
    for (var i = 0; i < CELLS; i++) {
      var v = game.grid[i];
      var cell = cells[i];
      var isNew = fresh.indexOf(i) >= 0, isJoined = joined.indexOf(i) >= 0;
      if (shown[i] === v && !isNew && !isJoined) continue;
      shown[i] = v;
      cell.dataset.value = String(v);
      cell.setAttribute("aria-label", v ? String(v) : "empty");
      cell.textContent = "";
      if (v) {
        var tile = document.createElement("span");
        var digits = String(v).length;
        tile.className = "tile" + (digits > 2 ? " d" + Math.min(digits, 6) : "") +
          (v > WIN ? " big" : "") + (isNew ? " new" : isJoined ? " merged" : "");
        tile.textContent = v;
        cell.appendChild(tile);
      }
    }
    scoreEl.textContent = game.score;
    scoreEl.dataset.score = String(game.score);
    bestEl.textContent = game.best;
    board.dataset.state = game.state;
    board.dataset.moves = String(game.moves);
    board.dataset.seed = String(seed);

    if (game.state === "won") {
      overlayText.textContent = "You win!";
      keepGoingBtn.hidden = false;
      overlay.hidden = false;
    } else if (game.state === "over") {
      overlayText.textContent = "Game over";
      keepGoingBtn.hidden = true;
      overlay.hidden = false;
    } else {
      overlay.hidden = true;
    }
  }

  function announce(text) { statusEl.textContent = text; }

  function newGame(grid) {
    game.grid = grid ? grid.slice() : new Array(CELLS).fill(0);
    game.score = 0;
    game.moves = 0;
    game.keepPlaying = false;
    var fresh = [];
    if (!grid) { fresh.push(spawn(game.grid, rng)); fresh.push(spawn(game.grid, rng)); }
    game.state = canMove(game.grid) ? "playing" : "over";
    if (!game.keepPlaying && maxTile(game.grid) >= WIN) game.keepPlaying = true;
    render(fresh, []);
    announce("New game. Score 0.");
  }

  function move(dir) {
    if (game.state !== "playing") return false;
    var r = slide(game.grid, dir);
    if (!r.changed) { announce(NAMES[dir] + ": nothing moves."); return false; }
    game.grid = r.grid;
    game.score += r.gained;
    game.moves++;
    if (game.score > game.best) { game.best = game.score; saveBest(game.best); }
    var at = spawn(game.grid, rng);
    var msg = NAMES[dir] + (r.gained ? ": +" + r.gained : "") + ". Score " + game.score + ".";
    if (!game.keepPlaying && maxTile(game.grid) >= WIN) {
      game.state = "won";
      msg += " You reached " + WIN + "! Keep going or start a new game.";
    } else if (!canMove(game.grid)) {
      game.state = "over";
      msg += " Game over: no move is left.";
    }
    render(at >= 0 ? [at] : [], r.joined);
    announce(msg);
    return true;
  }

  // --- input -----------------------------------------------------------------------------------
  var KEYS = {
    ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down",
    a: "left", d: "right", w: "up", s: "down", A: "left", D: "right", W: "up", S: "down"
  };
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable)) return;
    var dir = KEYS[e.key];
    if (!dir) return;
    e.preventDefault();  // arrows must not scroll the page
    move(dir);
  });

  var swipe = null;
  board.addEventListener("pointerdown", function (e) {
    if (!e.isPrimary || (e.pointerType === "mouse" && e.button !== 0)) return;
    swipe = { id: e.pointerId, x: e.clientX, y: e.clientY };
    board.focus({ preventScroll: true });
    if (board.setPointerCapture) { try { board.setPointerCapture(e.pointerId); } catch (err) { /* ok */ } }
  });
  board.addEventListener("pointerup", function (e) {
    if (!swipe || e.pointerId !== swipe.id) return;
    var dx = e.clientX - swipe.x, dy = e.clientY - swipe.y;
    swipe = null;
    var min = Math.max(20, board.clientWidth * 0.06);
    if (Math.max(Math.abs(dx), Math.abs(dy)) < min) return;
    if (Math.abs(dx) > Math.abs(dy)) move(dx > 0 ? "right" : "left");
    else move(dy > 0 ? "down" : "up");
  });
  board.addEventListener("pointercancel", function () { swipe = null; });

  newGameBtn.addEventListener("click", function () { newGame(null); board.focus(); });
  tryAgainBtn.addEventListener("click", function () { newGame(null); board.focus(); });
  keepGoingBtn.addEventListener("click", function () {
    game.keepPlaying = true;
    game.state = canMove(game.grid) ? "playing" : "over";
    render([], []);
    announce("Keep going. Score " + game.score + ".");
    board.focus();
  });

  // --- start -----------------------------------------------------------------------------------
  game.best = loadBest();
  buildBoard();
  newGame(startBoard);
  board.focus({ preventScroll: true });
})();
