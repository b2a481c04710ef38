/*
 * Form behaviour after GOV.UK Frontend: the error summary's links, and one Send per click.
 * Without JavaScript the links still jump to their fields (CSS keeps the label in view) and a
 * second Send is made harmless by the server's one-time token. Conditional reveals need no
 * script: they are CSS (forms.css).
 */
(function () {
  "use strict";

  // Error summary links: focus the field, and scroll its label or legend into view rather than
  // leaving it above the screen's top edge (html's scroll-padding-top keeps it clear of the
  // sticky Exit button).
  function labelFor(input) {
    var fieldset = input.closest("fieldset");
    if (fieldset && (input.type === "radio" || input.type === "checkbox")) {
      var legend = fieldset.querySelector("legend");
      if (legend) { return legend; }
    }
    if (input.type === "checkbox") {
      // A single checkbox: its error message sits above it, so show the whole question.
      return input.closest(".form-group") || input;
    }
    return document.querySelector("label[for='" + input.id + "']") || input;
  }
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      var input = document.getElementById(link.getAttribute("href").slice(1));
      if (!input) { return; }
      event.preventDefault();
      labelFor(input).scrollIntoView();
      input.focus({ preventScroll: true });
    });
  }

  // A second press within a second is a double click, not a second message.
  var buttons = document.querySelectorAll("[data-prevent-double-click]");
  for (var b = 0; b < buttons.length; b++) {
    buttons[b].addEventListener("click", function (event) {
      var button = event.currentTarget;
      if (button.getAttribute("data-clicked")) { event.preventDefault(); return; }
      button.setAttribute("data-clicked", "true");
      setTimeout(function () { button.removeAttribute("data-clicked"); }, 1000);
    });
  }
})();
