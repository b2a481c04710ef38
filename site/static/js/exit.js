/*
 * Haven's quick exit, following the behaviour of GOV.UK Frontend's "Exit this page" component.
 *
 * Without JavaScript the button and the skip link are plain links to /exit, which clears the
 * session and redirects to the neutral site. With it, the page's content is hidden at once (so a
 * slow connection does not leave it on screen), the browser goes straight to the neutral site
 * (location.replace, so this page is not left in history) without waiting for Haven's server, and
 * a beacon asks /exit to clear the session alongside. Pressing Shift alone three times does the same.
 */
(function () {
  "use strict";

  var PRESSES_TO_EXIT = 3;
  var WINDOW_MS = 5000;

  // Lines that describe what only works with JavaScript (Shift three times) show only with it.
  var jsOnly = document.querySelectorAll("[data-js-only]");
  for (var j = 0; j < jsOnly.length; j++) { jsOnly[j].hidden = false; }

  var bar = document.querySelector("[data-exit-bar]");
  if (!bar) { return; }
  var triggers = document.querySelectorAll("[data-exit]");
  var status = bar.querySelector("[data-exit-status]");
  var indicator = bar.querySelector(".exit-indicator");
  var dots = indicator ? indicator.querySelectorAll("span") : [];
  var exitUrl = triggers[0].getAttribute("href");
  var destination = bar.getAttribute("data-destination") || exitUrl;

  var presses = 0;
  var timer = null;
  var shiftAlone = false; // true while Shift is down and no other key has been pressed with it
  var otherKeysDown = 0;

  function announce(text) {
    if (status) { status.textContent = text; }
  }

  function showPresses() {
    if (!indicator) { return; }
    indicator.classList.toggle("is-visible", presses > 0);
    for (var i = 0; i < dots.length; i++) {
      dots[i].classList.toggle("is-on", i < presses);
    }
  }

  function reset() {
    presses = 0;
    if (timer) { clearTimeout(timer); timer = null; }
    showPresses();
  }

  function expire() {
    var hadPresses = presses > 0;
    reset();
    if (hadPresses) { announce(bar.getAttribute("data-msg-expired")); }
  }

  function leave() {
    reset();
    document.body.classList.add("is-exiting");
    var overlay = document.createElement("div");
    overlay.className = "exit-overlay";
    overlay.setAttribute("role", "status");
    overlay.textContent = bar.getAttribute("data-msg-loading");
    document.body.appendChild(overlay);
    document.title = bar.getAttribute("data-msg-loading");
    // The beacon outlives this page: the session is cleared even though nobody waits for it.
    if (navigator.sendBeacon) { navigator.sendBeacon(exitUrl); }
    window.location.replace(navigator.sendBeacon ? destination : exitUrl);
  }

  function onClick(event) {
    // Let modified clicks (open in new tab) behave as links do; everything else leaves now.
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
    event.preventDefault();
    leave();
  }

  function onKeyDown(event) {
    if (event.key === "Shift") {
      shiftAlone = otherKeysDown === 0;
      return;
    }
    // Any other key, alone or with Shift held, is typing, not a request to leave.
    otherKeysDown += 1;
    shiftAlone = false;
    if (presses > 0) { reset(); }
  }

  function onKeyUp(event) {
    if (event.key !== "Shift") {
      otherKeysDown = Math.max(0, otherKeysDown - 1);
      return;
    }
    if (!shiftAlone) { return; }
    shiftAlone = false;
    presses += 1;
    if (timer) { clearTimeout(timer); }
    if (presses >= PRESSES_TO_EXIT) {
      leave();
      return;
    }
    timer = setTimeout(expire, WINDOW_MS);
    showPresses();
    var left = PRESSES_TO_EXIT - presses;
    announce(bar.getAttribute(left === 1 ? "data-msg-one" : "data-msg-two"));
  }

  function onPageShow(event) {
    // Coming back through the back-forward cache: show the page again, ready to exit once more.
    if (!event.persisted) { return; }
    document.body.classList.remove("is-exiting");
    var overlays = document.querySelectorAll(".exit-overlay");
    for (var i = 0; i < overlays.length; i++) { overlays[i].parentNode.removeChild(overlays[i]); }
    otherKeysDown = 0;
    reset();
    announce("");
  }

  for (var i = 0; i < triggers.length; i++) {
    triggers[i].addEventListener("click", onClick);
  }
  document.addEventListener("keydown", onKeyDown, true);
  document.addEventListener("keyup", onKeyUp, true);
  window.addEventListener("blur", function () { otherKeysDown = 0; shiftAlone = false; });
  window.addEventListener("pageshow", onPageShow);
})();
