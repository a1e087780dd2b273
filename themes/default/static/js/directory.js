/* yunzhan default theme — the craftsman directory (技术处方): instant filters on the craftsmen list page.
   Enhancement only: without JavaScript the page is the list grouped by industry, its chips link to the term
   pages and the keyword box searches the whole site. Here the chips become toggle buttons (aria-pressed):
   chips of one kind widen the choice, kinds narrow it, and every word typed must appear on the card.
   The URL carries the filters (?industry=…&district=…&specialty=…&q=…), so a filtered list can be shared. */
(function () {
  "use strict";
  var root = document.querySelector("[data-directory]");
  if (!root || !window.URLSearchParams || !history.replaceState || !root.closest) return;
  var FACETS = ["industry", "district", "specialty"];
  var all = function (sel) { return [].slice.call(root.querySelectorAll(sel)); };
  var items = all("[data-dir-item]"), groups = all("[data-dir-group]");
  var form = root.querySelector("form"), input = form.elements.q;
  var status = document.getElementById("dir-status");
  var clear = root.querySelector(".dir-clear"), empty = root.querySelector(".dir-empty");
  var timer = 0;
  var norm = function (s) { return (s.normalize ? s.normalize("NFKC") : s).toLowerCase(); };
  var texts = items.map(function (li) { return norm(li.textContent.replace(/\s+/g, " ")); });
  var get = function (el, name) { return el.getAttribute("data-" + name) || ""; };
  var pressed = function (b) { return b.getAttribute("aria-pressed") === "true"; };

  var chips = all("a[data-facet]").map(function (a) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = a.className;
    b.innerHTML = a.innerHTML;
    b.setAttribute("data-facet", get(a, "facet"));
    b.setAttribute("data-value", get(a, "value"));
    b.setAttribute("aria-pressed", "false");
    a.parentNode.replaceChild(b, a);
    return b;
  });

  function apply(typing) {
    var sel = {}, active = false, shown = 0;
    var words = norm(input.value).split(/\s+/).filter(Boolean);
    FACETS.forEach(function (f) { sel[f] = []; });
    chips.forEach(function (b) { if (pressed(b)) { sel[get(b, "facet")].push(get(b, "value")); active = true; } });
    items.forEach(function (li, i) {
      var ok = FACETS.every(function (f) {
        var have = get(li, f).split("|");
        return !sel[f].length || sel[f].some(function (v) { return have.indexOf(v) >= 0; });
      }) && words.every(function (w) { return texts[i].indexOf(w) >= 0; });
      li.hidden = !ok;
      if (ok) shown++;
    });
    groups.forEach(function (g) {
      var n = g.querySelectorAll("[data-dir-item]:not([hidden])").length, c = g.querySelector(".dir-group-n");
      g.hidden = !n;
      if (c) c.textContent = n;
    });
    active = active || words.length > 0;
    empty.hidden = shown > 0;
    clear.hidden = !active;

    var params = new URLSearchParams(location.search);  // keep parameters that are not ours (WeChat adds some)
    FACETS.concat("q").forEach(function (f) { params.delete(f); });
    FACETS.forEach(function (f) { sel[f].forEach(function (v) { params.append(f, v); }); });
    if (input.value.trim()) params.set("q", input.value.trim());
    var qs = params.toString();
    history.replaceState(history.state, "", location.pathname + (qs ? "?" + qs : "") + location.hash);

    var say = active ? "共 " + shown + " 位符合条件（全部 " + items.length + " 位）" : "共 " + items.length + " 位劳模工匠";
    clearTimeout(timer);
    if (typing) timer = setTimeout(function () { status.textContent = say; }, 400);  // one announcement per pause
    else status.textContent = say;
  }

  var start = new URLSearchParams(location.search);
  chips.forEach(function (b) {
    if (start.getAll(get(b, "facet")).indexOf(get(b, "value")) >= 0) {
      b.setAttribute("aria-pressed", "true");
      var more = b.closest("details");
      if (more) more.open = true;
    }
  });
  input.value = start.get("q") || "";
  apply();

  root.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-facet]");
    if (!b) return;
    b.setAttribute("aria-pressed", pressed(b) ? "false" : "true");
    apply();
  });
  clear.addEventListener("click", function () {
    chips.forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
    input.value = "";
    apply();
    input.focus();
  });
  input.addEventListener("input", function () { apply(true); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    apply();
    input.blur();  // closes the phone keyboard so the results show
  });
})();
