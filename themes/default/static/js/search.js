/* yunzhan default theme — site search, reading the index that yunzhan/search.py writes.
   Nothing is fetched until the visitor searches: then search/meta.json (revalidated), then only the shards
   holding the query's character pairs (named by a hash of their bytes, listed in meta.json). A term of n
   characters matches a record when its n-1 pairs sit at consecutive positions there, i.e. exactly when the
   record contains the term (plain substring semantics).
   Latin terms of 2+ letters also match the pinyin or initials of titles (leiyutian, lyt → 雷雨田).
   The site's base path comes from data-base on this script tag or on <html>, never from a hardcoded "/". */
(function () {
  "use strict";
  var script = document.currentScript;
  var form = document.getElementById("search-form");
  if (!form || !window.fetch || !window.Promise || !"".normalize) return;

  var base = (script && script.getAttribute("data-base")) || document.documentElement.getAttribute("data-base") || "/";
  if (base.slice(-1) !== "/") base += "/";
  var input = form.elements.q;
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var FILTERS = { c: 2, z: 3, i: 4, d: 5 }; // URL parameter → column of a record row in meta.json
  var PAGE = 30;
  var WORD;
  try { WORD = new RegExp("[\\p{L}\\p{N}]+", "gu"); } catch (e) {
    WORD = /[0-9a-z\u00b5\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]+/g;
  }
  var DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_", VAL = {};
  for (var d = 0; d < 64; d++) VAL[DIGITS[d]] = d;
  var meta = null, metaLoad = null, shards = {}, seq = 0, timer = 0, composing = false, rows = [], shown = 0;

  function getJSON(url, init) {
    return fetch(url, init).then(function (r) {
      if (!r.ok) throw new Error(r.status + " " + url);
      return r.json();
    });
  }

  function loadMeta() {
    metaLoad = metaLoad || getJSON(base + "search/meta.json", { cache: "no-cache" }).then(function (m) {
      meta = m;
      meta.keys = {};
      for (var k in FILTERS) meta.keys[k] = (m.f[k] || []).map(function (p) { return p[0]; });
      return m;
    }, function (e) { metaLoad = null; throw e; });
    return metaLoad;
  }

  function shardOf(gram) { // FNV-1a over code points, as yunzhan/search.py
    var h = 2166136261;
    for (var i = 0; i < gram.length; i++) {
      var c = gram.codePointAt(i);
      if (c > 0xffff) i++;
      h = Math.imul(h ^ c, 16777619) >>> 0;
    }
    return h % meta.n;
  }

  function postings(gram) {
    var k = shardOf(gram);
    // search/s/<k>.<hash of its bytes>.json, the hash from meta.json: an edit renames only the shards it changed
    var url = base + "search/s/" + k + "." + meta.s[k] + ".json";
    var p = shards[k] = shards[k] || getJSON(url).catch(function (e) {
      delete shards[k];
      throw e;
    });
    return p.then(function (s) { return s[gram] ? ints(s[gram]) : null; });
  }

  function ints(s) { // inverse of encode_ints in yunzhan/search.py: 5 bits a character, upper half = "more"
    var out = [], n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = VAL[s[i]];
      n = n * 32 + (c & 31);
      if (c < 32) { out.push(n); n = 0; }
    }
    return out;
  }

  function terms(q) {
    var seen = {};
    return (q.normalize("NFKC").toLowerCase().match(WORD) || []).filter(function (t) {
      return seen[t] ? false : (seen[t] = true);
    });
  }

  function positions(flat) { // [record delta, count, first, deltas…]… → {record: [positions]}
    var out = {}, rid = 0, i = 0;
    while (i < flat.length) {
      rid += flat[i];
      var n = flat[i + 1], p = flat[i + 2], ps = [p];
      i += 3;
      for (var j = 1; j < n; j++) ps.push(p += flat[i++]);
      out[rid] = ps;
    }
    return out;
  }

  function matchTerm(t) { // → Promise of {record id: true}
    var ch = Array.from(t), hits = {}, i;
    if (/^[a-z]{2,}$/.test(t)) meta.r.forEach(function (r, rid) { if (r[9] && r[9].indexOf(t) >= 0) hits[rid] = true; });
    if (ch.length === 1) {
      return postings(t).then(function (flat) {
        for (var rid = 0, i = 0; flat && i < flat.length; i++) hits[rid += flat[i]] = true;
        return hits;
      });
    }
    var grams = [];
    for (i = 0; i < ch.length - 1; i++) grams.push(ch[i] + ch[i + 1]);
    return Promise.all(grams.map(postings)).then(function (lists) {
      if (lists.indexOf(null) >= 0) return hits;
      var maps = lists.map(positions);
      Object.keys(maps[0]).forEach(function (rid) {
        var sets = [];
        for (var g = 1; g < maps.length; g++) {
          if (!maps[g][rid]) return;
          sets.push(maps[g][rid].reduce(function (o, p) { o[p] = true; return o; }, {}));
        }
        var found = maps[0][rid].some(function (p) {
          return sets.every(function (s, g) { return s[p + g + 1]; });
        });
        if (found) hits[rid] = true;
      });
      return hits;
    });
  }

  function find(q, filters) { // → Promise of matching rows, best first
    var ts = terms(q);
    return loadMeta().then(function () {
      return Promise.all(ts.map(matchTerm));
    }).then(function (sets) {
      var want = {};
      for (var k in FILTERS) if (filters[k]) want[k] = meta.keys[k].indexOf(filters[k]);
      var out = [];
      meta.r.forEach(function (r, rid) {
        if (!ts.length && !Object.keys(want).length) return;
        for (var s = 0; s < sets.length; s++) if (!sets[s][rid]) return;
        for (var k in want) if (r[FILTERS[k]] !== want[k]) return;
        var title = r[1].normalize("NFKC").toLowerCase();
        out.push({ r: r, rank: ts.every(function (t) { return title.indexOf(t) >= 0; }) ? 0 : 1, id: rid });
      });
      out.sort(function (a, b) { return a.rank - b.rank || a.id - b.id; });
      var found = out.map(function (x) { return x.r; });
      found.terms = ts;
      return found;
    });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function href(p) { return /^([a-z]+:|\/)/i.test(p) ? p : base + p; } // meta.json paths are base-relative

  function label(col, idx) { return idx == null ? "" : meta.f[col][idx][1]; }

  function showMore() {
    var end = Math.min(rows.length, shown + PAGE);
    for (; shown < end; shown++) {
      var r = rows[shown], li = el("li", "sr"), a = el("a", "sr-link"), pic;
      a.href = href(r[0]);
      if (r[6]) {
        pic = el("img", "sr-img");
        pic.src = href(r[6]);
        pic.width = r[7];
        pic.height = r[8];
        pic.alt = ""; // decorative: the title beside it names the record
        pic.loading = "lazy";
        pic.decoding = "async";
      } else {
        pic = el("span", "sr-img sr-letter", Array.from(r[1])[0]);
        pic.setAttribute("aria-hidden", "true");
      }
      a.appendChild(pic);
      var body = el("span", "sr-body");
      body.appendChild(marked(r[1], rows.terms || []));
      var why = pinyinWhy(r, rows.terms || []);
      if (why) body.appendChild(el("span", "sr-why", why));
      body.appendChild(el("span", "sr-meta", [label("c", r[2]), label("z", r[3])].filter(function (s) {
        return s && s !== r[1]; // a zone's own name is not its description
      }).join(" · ")));
      a.appendChild(body);
      li.appendChild(a);
      list.appendChild(li);
      if (seen) seen.observe(li);
      li.yz = [r, rows.terms || [], body];
    }
    if (more) more.hidden = shown >= rows.length;
  }

  function marked(title, ts) { // the title with each term found in it in <mark>
    var span = el("span", "sr-title"), low = title.toLowerCase(), at = 0;
    while (at < title.length) {
      var best = -1, len = 0;
      ts.forEach(function (t) {
        var i = low.indexOf(t, at);
        if (i >= 0 && (best < 0 || i < best)) { best = i; len = t.length; }
      });
      if (best < 0) break;
      span.appendChild(document.createTextNode(title.slice(at, best)));
      span.appendChild(el("mark", "", title.slice(best, best + len)));
      at = best + len;
    }
    span.appendChild(document.createTextNode(title.slice(at)));
    return span;
  }

  function pinyinWhy(r, ts) { // "按拼音首字母 lyt 匹配标题" when the title matched only by its pinyin
    var low = r[1].toLowerCase(), py = (r[9] || "").split(" ");
    for (var i = 0; i < ts.length; i++) {
      var t = ts[i];
      if (!/^[a-z]{2,}$/.test(t) || low.indexOf(t) >= 0) continue;
      if (py[1] && py[1].indexOf(t) >= 0) return "按拼音首字母 " + t + " 匹配标题";
      if (py[0] && py[0].indexOf(t) >= 0) return "按拼音 " + t + " 匹配标题";
    }
    return "";
  }

  // The snippet: the result's own page, fetched once it scrolls into view (the index holds no text), quoted
  // around the first match in its text, the terms in <mark>.
  var seen = window.IntersectionObserver && window.DOMParser && new IntersectionObserver(function (es) {
    es.forEach(function (e) {
      if (!e.isIntersecting || !e.target.yz) return;
      var job = e.target.yz;
      e.target.yz = null;
      seen.unobserve(e.target);
      if (job[1].length) fetch(href(job[0][0])).then(function (res) { return res.ok ? res.text() : ""; }).then(function (html) {
        var s = quote(html, job[1]);
        if (s) job[2].insertBefore(s, job[2].lastChild);
      }).catch(function () {});
    });
  });

  function quote(html, ts) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var parts = doc.querySelectorAll(".lead, .prose, .zone-intro, .person-employer, dd");
    var text = [].map.call(parts.length ? parts : doc.querySelectorAll("main"), function (n) {
      return n.textContent.replace(/\s+/g, " ").trim();
    }).join(" · "), low = text.toLowerCase(), at = -1;
    ts.forEach(function (t) { var i = low.indexOf(t); if (i >= 0 && (at < 0 || i < at)) at = i; });
    if (at < 0) return null;
    var from = Math.max(0, at - 12), to = Math.min(text.length, at + 30);
    var span = marked((from ? "…" : "") + text.slice(from, to) + (to < text.length ? "…" : ""), ts);
    span.className = "sr-snip";
    return span;
  }

  function say(text) { if (status) status.textContent = text; }

  function current() {
    var f = {};
    for (var k in FILTERS) if (form.elements[k]) f[k] = form.elements[k].value;
    return f;
  }

  function run() {
    clearTimeout(timer);
    var q = input.value.trim(), filters = current(), mine = ++seq;
    var params = new URLSearchParams();
    if (q) params.set("q", q);
    for (var k in filters) if (filters[k]) params.set(k, filters[k]);
    var qs = params.toString();
    if (history.replaceState) history.replaceState(null, "", qs ? "?" + qs : location.pathname);
    if (!q && !qs) {
      list.textContent = "";
      if (more) more.hidden = true;
      say("");
      return;
    }
    var slow = setTimeout(function () { if (mine === seq) say("正在搜索…"); }, 400); // only when it is slow
    if (window.performance && performance.mark) performance.mark("yz-search-start");
    find(q, filters).then(function (found) {
      clearTimeout(slow);
      if (mine !== seq) return;
      rows = found;
      shown = 0;
      list.textContent = "";
      showMore();
      var what = q ? "“" + q + "”" : "所选条件";
      say(found.length ? what + "：找到 " + found.length + " 条结果" : "没有找到与" + what + "相符的内容，换个词或去掉筛选试试。");
      if (window.performance && performance.mark) performance.mark("yz-search-done");
    }, function () {
      clearTimeout(slow);
      if (mine === seq) say("搜索索引没有加载成功，请检查网络后再试一次。");
    });
  }

  function later() { clearTimeout(timer); timer = setTimeout(run, 250); }

  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
  input.addEventListener("compositionstart", function () { composing = true; });
  input.addEventListener("compositionend", function () { composing = false; later(); });
  input.addEventListener("input", function (e) {
    loadMeta().catch(function () {}); // typing has begun: fetch meta.json while the debounce runs
    if (!composing && !e.isComposing) later();
  });
  form.addEventListener("change", function (e) { if (e.target !== input) run(); });
  if (more) more.addEventListener("click", showMore);

  window.yunzhanSearch = function (q, filters) {
    return find(q, filters || {}).then(function (found) { return found.map(function (r) { return href(r[0]); }); });
  };

  var params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  var any = !!input.value;
  for (var k in FILTERS) {
    if (form.elements[k] && params.get(k)) {
      form.elements[k].value = params.get(k);
      any = true;
    }
  }
  var fold = document.getElementById("search-filters");
  if (fold && (any && params.toString() !== "q=" + encodeURIComponent(input.value) || matchMedia("(min-width: 48rem)").matches)) fold.open = true;
  if (any) run();
})();
