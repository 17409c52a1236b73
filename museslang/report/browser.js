/* museslang report: the episode browser (museslang/report/browser.py writes its data).
   No library, no network: the data is the JSON above, or scripts in report-data/ beside
   the page. Text from runs is only ever set as textContent. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("ep-data").textContent);
  var ROWS = DATA.rows;
  var PAGE = 100;
  var chunks = {};  // chunk number -> its episodes (data-file mode)
  var waiting = {};  // chunk number -> callbacks
  var words = DATA.words;  // per row: the distinct words of its messages
  var wordsWaiting = [];
  var shown = PAGE;
  var state = {q: "", family: "", scenario: "", cell: "", status: "", run: "", metric: ""};
  var app = document.getElementById("ep-app");

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function add(parent, child) { parent.appendChild(child); return child; }

  // ---- data ---------------------------------------------------------------------------
  window.museslangEpisodes = function (n, list) {
    chunks[n] = list;
    (waiting[n] || []).forEach(function (fn) { fn(); });
    delete waiting[n];
  };
  window.museslangWords = function (list) {
    words = list;
    wordsWaiting.forEach(function (fn) { fn(); });
    wordsWaiting = [];
  };
  function script(name, failed) {
    var s = document.createElement("script");
    s.src = DATA.data + "/" + name;
    s.onerror = function () { failed(DATA.data + "/" + name); };
    document.head.appendChild(s);
  }
  function detail(index, then, failed) {
    if (DATA.inline) { then(DATA.inline[index]); return; }
    var n = Math.floor(index / DATA.chunk);
    var got = function () { then(chunks[n][index - n * DATA.chunk]); };
    if (chunks[n]) { got(); return; }
    if (waiting[n]) { waiting[n].push(got); return; }
    waiting[n] = [got];
    script("episodes-" + String(n).padStart(5, "0") + ".js", failed);
  }
  function needWords(then) {
    if (words) { then(); return; }
    wordsWaiting.push(then);
    if (wordsWaiting.length === 1) script("search.js", function (name) {
      status.textContent = "The search data " + name + " is missing beside the page.";
    });
  }

  // ---- filters ------------------------------------------------------------------------
  var OPS = {"<": function (a, b) { return a < b; }, "<=": function (a, b) { return a <= b; },
    ">": function (a, b) { return a > b; }, ">=": function (a, b) { return a >= b; },
    "=": function (a, b) { return a === b; }, "==": function (a, b) { return a === b; },
    "!=": function (a, b) { return a !== b; }};
  function metricTests(text) {
    var tests = [], bad = [];
    text.split(/[,;]/).forEach(function (part) {
      if (!part.trim()) return;
      var m = /^\s*([\w:.\-]+)\s*(<=|>=|==|!=|<|>|=)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(part);
      if (m) tests.push([m[1], OPS[m[2]], parseFloat(m[3])]); else bad.push(part.trim());
    });
    return {tests: tests, bad: bad};
  }
  function matches(i, terms, tests) {
    var r = ROWS[i];
    if (state.family && r.f !== state.family) return false;
    if (state.scenario && r.s !== state.scenario) return false;
    if (state.cell && r.c !== state.cell) return false;
    if (state.status && r.v !== state.status) return false;
    if (state.run && String(r.r) !== state.run) return false;
    for (var t = 0; t < tests.length; t++) {
      var v = r.m[tests[t][0]];
      if (typeof v !== "number" || !tests[t][1](v, tests[t][2])) return false;
    }
    if (terms.length) {
      var hay = words[i] + " " + r.id.toLowerCase() + " " + r.y.toLowerCase();
      for (var w = 0; w < terms.length; w++) if (hay.indexOf(terms[w]) < 0) return false;
    }
    return true;
  }

  // ---- the page -----------------------------------------------------------------------
  var bar = add(app, el("div", "ep-filters"));
  app.firstChild && app.firstChild.className === "note" && app.removeChild(app.firstChild);
  var search = add(bar, el("input", "ep-search"));
  search.type = "search";
  search.id = "ep-q";
  search.placeholder = "Search messages (a word, or several)";
  function select(name, label, options) {
    var s = add(bar, el("select"));
    s.id = "ep-" + name;
    s.title = label;
    add(s, el("option", null, label)).value = "";
    options.forEach(function (o) { var opt = add(s, el("option", null, o[1])); opt.value = o[0]; });
    s.onchange = function () { state[name] = s.value; shown = PAGE; update(); };
    if (options.length < 2 && name !== "status") s.hidden = true;
    return s;
  }
  function distinct(key) {
    var seen = {};
    ROWS.forEach(function (r) { seen[r[key]] = (seen[r[key]] || 0) + 1; });
    return Object.keys(seen).sort().map(function (k) { return [k, k + " (" + seen[k] + ")"]; });
  }
  var controls = {
    family: select("family", "every family", distinct("f").map(function (o) {
      return [o[0], (DATA.families[o[0]] || o[0]) + o[1].slice(o[0].length)];
    })),
    scenario: select("scenario", "every scenario", distinct("s")),
    cell: select("cell", "every cell", distinct("c")),
    status: select("status", "every status", distinct("v")),
    run: select("run", "every run", DATA.runs.map(function (r, i) {
      return [String(i), r.agent + " — " + r.path];
    }))
  };
  var metric = add(bar, el("input", "ep-metric"));
  metric.id = "ep-metric";
  metric.placeholder = "metric test, e.g. privacy<1";
  metric.setAttribute("list", "ep-metrics");
  var names = add(bar, el("datalist"));
  names.id = "ep-metrics";
  DATA.metrics.forEach(function (m) { add(names, el("option")).value = m; });
  var status = add(app, el("p", "ep-count"));
  status.id = "ep-count";
  var table = add(app, el("table", "ep-list"));
  table.id = "ep-list";
  var head = add(add(table, el("thead")), el("tr"));
  ["status", "episode", "family", "cell", "why it failed"].forEach(function (h) {
    add(head, el("th", null, h));
  });
  var body = add(table, el("tbody"));
  var more = add(app, el("button", "ep-more", "Show more"));
  more.onclick = function () { shown += PAGE; update(); };
  DATA.runs.forEach(function (r) {
    if (r.note) add(app, el("p", "note", "No ground truth for " + r.path + ": " + r.note + "."));
  });
  var timer = null;
  search.oninput = function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = search.value; shown = PAGE; update(); }, 120);
  };
  metric.oninput = function () { state.metric = metric.value; shown = PAGE; update(); };

  var picked = [];
  function update() {
    var terms = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    if (terms.length && !words) {
      status.textContent = "Loading the search data…";
      needWords(update);
      return;
    }
    var parsed = metricTests(state.metric);
    metric.classList.toggle("bad", parsed.bad.length > 0);
    picked = [];
    for (var i = 0; i < ROWS.length; i++) if (matches(i, terms, parsed.tests)) picked.push(i);
    body.textContent = "";
    picked.slice(0, shown).forEach(function (i) { body.appendChild(listRow(i)); });
    more.hidden = picked.length <= shown;
    status.textContent = picked.length + " of " + ROWS.length + " episodes" +
      (parsed.bad.length ? " (not a metric test: " + parsed.bad.join(", ") + ")" : "");
    status.dataset.q = state.q;  // the search this list answers (tests wait for it)
    writeHash();
  }
  function badge(verdict) { return el("span", "badge " + verdict, verdict); }
  function listRow(i) {
    var r = ROWS[i];
    var tr = el("tr");
    tr.dataset.key = r.k;
    add(add(tr, el("td")), badge(r.v));
    add(tr, el("td", "ep-id", r.id + (r.t ? " · trial " + r.t : "")));
    add(tr, el("td", null, DATA.families[r.f] || r.f));
    add(tr, el("td", "ep-cell", r.c));
    add(tr, el("td", "ep-why", r.y));
    tr.onclick = function () { open(i); };
    return tr;
  }

  // ---- one episode: a column per user -------------------------------------------------
  var view = add(document.body, el("div", "ep-view"));
  view.id = "ep-view";
  view.hidden = true;
  var opened = null;
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  function close() { view.hidden = true; opened = null; document.body.classList.remove("ep-open"); writeHash(); }
  function open(i) {
    opened = i;
    view.hidden = false;
    document.body.classList.add("ep-open");
    view.textContent = "";
    add(view, el("p", "note", "Loading " + ROWS[i].id + "…"));
    detail(i, function (d) { if (opened === i) draw(d); }, function (name) {
      view.textContent = "";
      add(view, closer());
      add(view, el("p", "ep-error", "The data file " + name + " is missing beside the page."));
    });
    writeHash();
  }
  function closer() {
    var b = el("button", "ep-close", "× close");
    b.onclick = close;
    return b;
  }
  function recipients(to, people) {
    if (people.length > 1 && people.every(function (p) { return to.indexOf(p) >= 0; })) {
      return "to everyone";
    }
    return to.length === 1 ? "private" : "to " + to.join(", ");
  }
  function text(node, m, user) {
    var marks = m.marks.filter(function (k) { return !k[4] || k[4] === user; });
    var at = 0;
    marks.forEach(function (k) {
      if (k[0] < at) return;
      if (k[0] > at) node.appendChild(document.createTextNode(m.x.slice(at, k[0])));
      var mark = add(node, el("mark", k[3], m.x.slice(k[0], k[1])));
      mark.title = k[2];
      at = k[1];
    });
    if (at < m.x.length) node.appendChild(document.createTextNode(m.x.slice(at)));
  }
  function bubble(m, user, people, index) {
    var mine = m.s === user;
    var b = el("div", "msg " + (mine ? "said" : "got"));
    b.id = "msg-" + index;
    var tag = add(b, el("div", "msg-tag"));
    if (mine) tag.textContent = "said → " + m.to.join(", ");
    else {
      var kind = recipients(m.to, people);
      tag.textContent = (m.s === "agent" ? "agent" : m.s) + " · " + kind;
      b.classList.add(kind === "private" ? "private" : "shared");
      if (m.k === "content") add(tag, el("span", "kind", "a resource's content"));
      if (m.k === "unaddressed") add(tag, el("span", "kind", "unaddressed"));
    }
    text(add(b, el("div", "msg-text")), m, user);
    m.flags.forEach(function (f) {
      if (!f[0] || f[0] === user) add(b, el("div", "flag", "⚑ " + f[1]));
    });
    return b;
  }
  function section(parent, title, items) {
    if (!items.length) return;
    var box = add(parent, el("div", "ev-box"));
    add(box, el("h3", null, title));
    var ul = add(box, el("ul"));
    items.forEach(function (it) {
      var li = add(ul, el("li"));
      if (it[0]) add(li, el("b", null, it[0] + ": "));
      li.appendChild(document.createTextNode(it[1]));
      if (typeof it[2] === "number") {
        var go = add(li, el("a", "go", " (message " + it[2] + ")"));
        go.href = "#";
        go.onclick = function (e) {
          e.preventDefault();
          var target = view.querySelector("#msg-" + it[2]);
          if (target) { target.scrollIntoView({block: "center"}); target.classList.add("flash"); }
        };
      }
    });
  }
  function draw(d) {
    view.textContent = "";
    var top = add(view, el("div", "ev-head"));
    add(top, closer());
    add(top, badge(d.v));
    add(top, el("h2", "ev-id", d.id + (d.t ? " · trial " + d.t : "")));
    add(top, el("div", "ev-meta", [d.fd, d.s === d.f ? "" : d.s, d.c, d.agent + " with " + d.users + " users",
      d.turns + (d.turns === 1 ? " turn" : " turns"), "ended: " + (d.ending || "error")
    ].filter(Boolean).join(" · ")));
    if (d.y) add(view, el("p", "ev-why " + d.v, d.y));
    var boxes = add(view, el("div", "ev-boxes"));
    if (d.truth.length) {
      var t = add(boxes, el("div", "ev-box"));
      add(t, el("h3", null, "Ground truth"));
      var dl = add(t, el("dl"));
      d.truth.forEach(function (p) { add(dl, el("dt", null, p[0])); add(dl, el("dd", null, p[1])); });
    }
    section(boxes, "What failed", d.fails.map(function (f) { return [f.n, f.d, f.m]; }));
    section(boxes, "Leaks", d.leaks.map(function (l) {
      var span = l.span ? " [" + l.span[0] + ":" + l.span[1] + "]" : "";
      return ["turn " + l.turn, JSON.stringify(l.secret) + " of " + l.resource + " → " + l.recipient +
        " via " + l.channel + " (" + l.test + ")" + span + (l.note ? "; " + l.note : ""), l.message];
    }));
    section(boxes, "Simulator audit", d.finds.map(function (f) {
      return ["turn " + f.turn + " · " + f.user, f.check + ": " + f.detail +
        (f.regenerated ? " (asked again " + f.regenerated + "×)" : ""), f.message];
    }));
    section(boxes, "Guard interventions", d.ints.map(function (g) {
      return ["turn " + g.turn + " · " + g.guard, g.action + (g.target ? " on " + g.target : "") +
        ": " + g.reason];
    }));
    var errors = (d.error ? [["error", d.error]] : []).concat(d.acts.filter(function (a) {
      return !a.ok;
    }).map(function (a) { return ["turn " + a.t, a.x]; }));
    section(boxes, "Errors", errors);
    section(boxes, "Notes", d.notes.map(function (n) { return ["", n]; }));
    var chips = add(view, el("div", "ev-metrics"));
    Object.keys(d.metrics).forEach(function (k) {
      var v = d.metrics[k];
      add(chips, el("span", "chip", k + " " + (Array.isArray(v) ? "[" + v.join(", ") + "]" : v)));
    });
    lanes(d);
  }
  function lanes(d) {
    var people = d.people.map(function (p) { return p.id; });
    add(view, el("h3", "ev-lanes-title", "What each user saw, turn by turn"));
    var grid = add(view, el("div", "lanes"));
    grid.style.gridTemplateColumns = "3.5em minmax(12em, 0.7fr) repeat(" + people.length +
      ", minmax(15em, 1fr))";
    add(grid, el("div", "lane-head turn", "turn"));
    var agentHead = add(grid, el("div", "lane-head agent"));
    add(agentHead, el("b", null, "agent"));
    add(agentHead, el("div", "lane-note", "tool calls and what they did"));
    d.people.forEach(function (p, n) {
      var h = add(grid, el("div", "lane-head user c" + (n % 8)));
      add(h, el("b", null, p.id));
      p.notes.forEach(function (x) { add(h, el("div", "lane-note", x)); });
      var said = 0, got = 0, alone = 0;
      d.msgs.forEach(function (m) {
        if (m.s === p.id) said++;
        else if (m.to.indexOf(p.id) >= 0) { got++; if (m.to.length === 1) alone++; }
      });
      add(h, el("div", "lane-count", "said " + said + " · received " + got +
        (got ? " (" + alone + " private)" : "")));
    });
    var turns = {};
    d.msgs.forEach(function (m) { turns[m.t] = 1; });
    d.acts.forEach(function (a) { turns[a.t] = 1; });
    d.ints.forEach(function (g) { turns[g.turn] = 1; });
    Object.keys(turns).map(Number).sort(function (a, b) { return a - b; }).forEach(function (turn) {
      add(grid, el("div", "lane-turn", turn === 0 ? "0 · open" : String(turn)));
      var agent = add(grid, el("div", "lane agent"));
      d.acts.forEach(function (a) {
        if (a.t === turn) add(agent, el("div", "call " + (a.ok ? "ok" : "bad"), a.x));
      });
      d.ints.forEach(function (g) {
        if (g.turn === turn) add(agent, el("div", "guard", "guard " + g.guard + ": " + g.action +
          (g.target ? " on " + g.target : "") + " — " + g.reason));
      });
      people.forEach(function (user, n) {
        var lane = add(grid, el("div", "lane user c" + (n % 8)));
        d.msgs.forEach(function (m, index) {
          if (m.t !== turn) return;
          if (m.s === user || (m.s !== user && m.to.indexOf(user) >= 0)) {
            add(lane, bubble(m, user, people, index));
          }
        });
      });
    });
  }

  // ---- the address: #q=word&status=failed&episode=KEY opens as written ----------------
  function writeHash() {
    var parts = [];
    Object.keys(state).forEach(function (k) {
      if (state[k]) parts.push(k + "=" + encodeURIComponent(state[k]));
    });
    if (opened !== null) parts.push("episode=" + encodeURIComponent(ROWS[opened].k));
    var hash = parts.length ? "#" + parts.join("&") : "";
    if (hash !== location.hash) history.replaceState(null, "", hash || location.pathname);
  }
  function readHash() {
    var episode = null;
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      var kv = part.split("=");
      var k = kv[0], v = decodeURIComponent(kv.slice(1).join("="));
      if (k === "episode") episode = v;
      else if (k in state) state[k] = v;
    });
    search.value = state.q;
    metric.value = state.metric;
    Object.keys(controls).forEach(function (k) { controls[k].value = state[k]; });
    return episode;
  }
  function follow() {  // the address as it is now: on load, and when a link changes it
    var wanted = readHash();
    update();
    if (wanted === null) { if (opened !== null) close(); return; }
    for (var i = 0; i < ROWS.length; i++) if (ROWS[i].k === wanted) { open(i); break; }
  }
  window.addEventListener("hashchange", follow);
  follow();
  window.museslangBrowser = {open: function (key) {
    for (var i = 0; i < ROWS.length; i++) if (ROWS[i].k === key) { open(i); return true; }
    return false;
  }, close: close, picked: function () { return picked.slice(); }};
  document.body.dataset.episodes = "ready";
})();
