/* yunzhan default theme — gallery lightbox.
   Enhancement only: without JavaScript every thumbnail is a plain link to its large image.
   One <dialog> for the page; #photo-N in the URL per picture. A click adds one history entry, so Back closes
   the picture; a page opened (or reloaded) at #photo-N adds none. */
(function () {
  "use strict";
  var links = [].slice.call(document.querySelectorAll("[data-lb]")); // <a> of a photo, <video> of a clip
  if (!links.length || typeof HTMLDialogElement !== "function" || !history.pushState) return;

  var root = document.documentElement;
  var dlg, stage, pre, count, cap, buttons, idx = 0, sx = null, sy = 0, swiped = false;
  var noHash = function () { return location.pathname + location.search; };
  var ours = function (s) { return !!s && typeof s.lb === "number"; };
  // Our entries are { lb: index, back: bool }: back when the entry below is this page without the picture (the
  // entry was pushed by a click or made by an in-page link to #photo-N), so closing goes Back to it.
  var back = function (s) { return ours(s) && s.back === true; };

  function fromHash() {
    var m = /^#photo-(\d+)$/.exec(location.hash), n = m ? +m[1] : 0;
    return n >= 1 && n <= links.length ? n - 1 : -1;
  }

  function button(cls, label, path, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "lb-btn " + cls;
    b.setAttribute("aria-label", label);
    b.innerHTML = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" ' +
      'stroke-linejoin="round" aria-hidden="true" focusable="false"><path d="' + path + '"/></svg>';
    b.addEventListener("click", action);
    dlg.appendChild(b);
    return b;
  }

  function build() {
    dlg = document.createElement("dialog");
    dlg.className = "lb";
    dlg.setAttribute("aria-label", "图片浏览");
    stage = document.createElement("div");
    stage.className = "lb-stage";
    var bar = document.createElement("p");
    bar.className = "lb-bar";
    bar.setAttribute("aria-live", "polite");
    count = document.createElement("span");
    count.className = "lb-count";
    cap = document.createElement("span");
    cap.className = "lb-cap";
    bar.appendChild(count);
    bar.appendChild(cap);
    pre = document.createElement("div");
    pre.className = "lb-pre";
    pre.setAttribute("aria-hidden", "true");
    dlg.appendChild(stage);
    dlg.appendChild(bar);
    dlg.appendChild(pre);
    buttons = [
      button("lb-close", "关闭", "M6 6l12 12M18 6L6 18", function () { dlg.close(); }),
      button("lb-prev", "上一张", "M15 5l-7 7 7 7", function () { step(-1); }),
      button("lb-next", "下一张", "M9 5l7 7-7 7", function () { step(1); })
    ];
    if (links.length < 2) {
      buttons[1].hidden = buttons[2].hidden = true;
      buttons = buttons.slice(0, 1);
    }

    dlg.addEventListener("keydown", function (e) {
      if (e.key === "ArrowLeft") step(-1);
      else if (e.key === "ArrowRight") step(1);
      else if (e.key === "Tab") {
        var stops = buttons.concat([].slice.call(stage.querySelectorAll("video"))); // a clip's controls too
        var k = stops.indexOf(document.activeElement), last = stops.length - 1;
        if (e.shiftKey && k <= 0) stops[last].focus();
        else if (!e.shiftKey && (k === last || k < 0)) stops[0].focus();
        else return;
      } else return;
      e.preventDefault();
    });
    dlg.addEventListener("click", function (e) {
      if ((e.target === dlg || e.target === stage) && !swiped) dlg.close();
      swiped = false;
    });
    dlg.addEventListener("pointerdown", function () { swiped = false; });
    stage.addEventListener("pointerdown", function (e) { sx = e.clientX; sy = e.clientY; });
    stage.addEventListener("pointercancel", function () { sx = null; });
    stage.addEventListener("pointerup", function (e) {
      if (sx === null) return;
      var dx = e.clientX - sx, dy = e.clientY - sy;
      sx = null;
      if (Math.abs(dx) > 40 && Math.abs(dx) > 1.5 * Math.abs(dy)) { swiped = true; step(dx < 0 ? 1 : -1); }
    });
    stage.addEventListener("dragstart", function (e) { e.preventDefault(); });
    dlg.addEventListener("close", function () {
      root.classList.remove("lb-open");
      pause();
      if (back(history.state)) history.back(); // popstate finds no lightbox entry and leaves it closed
      else if (fromHash() >= 0) history.replaceState(null, "", noHash());
      var a = links[idx];
      a.focus({ preventScroll: true });
      requestAnimationFrame(function () { a.scrollIntoView({ block: "nearest" }); });
    });
    document.body.appendChild(dlg);
  }

  // The thumbnail's <picture>, re-targeted at the whole screen: same sources, sizes="100vw".
  function picture(a) {
    if (a.tagName === "VIDEO") { // a clip plays in the lightbox as in the page: same sources, captions, poster
      var v = a.cloneNode(true);
      v.removeAttribute("data-lb");
      v.removeAttribute("style");
      return v;
    }
    var pic = a.querySelector("picture"), el = pic ? pic.cloneNode(true) : document.createElement("img");
    var img = el.tagName === "IMG" ? el : el.querySelector("img");
    [].forEach.call(el.querySelectorAll("[srcset]"), function (n) { n.setAttribute("sizes", "100vw"); });
    if (!el.querySelector("[srcset]")) img.src = a.href;
    if (!pic) img.alt = "";
    img.removeAttribute("loading");
    img.removeAttribute("fetchpriority");
    img.removeAttribute("style");
    return el;
  }

  function pause() { // a clip stops when the lightbox moves on, closes or opens over it
    [].forEach.call(document.querySelectorAll("video"), function (v) { v.pause(); });
  }

  function show(i) {
    pause();
    idx = (i + links.length) % links.length;
    var a = links[idx], fig = a.closest("figure"), fc = fig && fig.querySelector("figcaption");
    stage.replaceChildren(picture(a));
    count.textContent = idx + 1 + " / " + links.length;
    cap.replaceChildren(); // caption, then the credit on a line of its own
    [].forEach.call(fc ? fc.children : [], function (part, i) {
      var span = document.createElement("span");
      span.className = part.classList.contains("shot-credit") ? "lb-credit" : "lb-cap-text";
      span.textContent = part.textContent.replace(/\s+/g, " ").trim();
      if (i) cap.appendChild(document.createTextNode(" "));
      cap.appendChild(span);
    });
    pre.replaceChildren(); // preload the next picture in the format and size the browser will choose
    var next = links[(idx + 1) % links.length];
    if (links.length > 1 && next.tagName === "A") pre.appendChild(picture(next));
  }

  // push: a click, one new entry; otherwise the current entry becomes the picture's. below: the entry below is
  // this page without the picture.
  function open(i, push, below) {
    if (!dlg) build();
    show(i);
    var state = { lb: idx, back: below }, hash = "#photo-" + (idx + 1);
    if (push) history.pushState(state, "", hash);
    else history.replaceState(state, "", hash);
    if (!dlg.open) {
      root.classList.add("lb-open");
      dlg.showModal();
      buttons[0].focus();
      // Opened from #photo-N, the browser's jump to that fragment then moves focus out: take it back.
      var keep = function () { if (dlg.open && !dlg.contains(document.activeElement)) buttons[0].focus(); };
      requestAnimationFrame(keep);
      window.addEventListener("load", keep, { once: true });
    }
  }

  function step(d) {
    if (links.length < 2) return;
    show(idx + d);
    history.replaceState({ lb: idx, back: back(history.state) }, "", "#photo-" + (idx + 1));
  }

  links.forEach(function (a, i) {
    if (a.tagName !== "A") return; // a clip plays where it is: keys, swipes and Back reach it in the lightbox
    a.addEventListener("click", function (e) {
      if (e.button || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      open(i, true, true);
    });
  });

  // Back or Forward to a picture's entry, or an in-page link to #photo-N (a new entry above this page).
  window.addEventListener("popstate", function (e) {
    var i = ours(e.state) ? e.state.lb : fromHash();
    if (i >= 0 && i < links.length) open(i, false, !ours(e.state) || back(e.state));
    else if (dlg && dlg.open) dlg.close();
  });

  // Opened at #photo-3 (a shared link, a bookmark): that picture, in the page's own entry, so Back leaves the
  // page as after any link, and closing removes the fragment. A reload keeps the entry's state: after a click
  // and a reload, Back still closes the picture.
  var first = fromHash();
  if (first >= 0) open(first, false, back(history.state));
})();
