// Study session keyboard shortcuts (loaded only on /study/). Every shortcut presses a real button or
// submits a real form, so htmx (or a full page load without it) does the rest.
"use strict";

(function () {
  const RATING_KEYS = { "2": "2", "3": "3", "4": "4", " ": "3" };

  function isTyping(element) {
    if (!element) return false;
    if (element.isContentEditable || element.tagName === "TEXTAREA" || element.tagName === "SELECT") return true;
    return element.tagName === "INPUT" && !["radio", "checkbox", "submit", "button"].includes(element.type);
  }

  function activates(element) {
    // Enter and Space already press a focused button, link or summary: leave those keys to the browser.
    return element && ["BUTTON", "A", "SUMMARY"].includes(element.tagName);
  }

  function submit(form) {
    if (!form) return false;
    form.requestSubmit();
    return true;
  }

  function action(name) {
    return submit(document.querySelector('#card form[data-study-action="' + name + '"]'));
  }

  function openFlag() {
    const details = document.querySelector("#card details[data-study-flag]");
    if (!details) return false;
    details.open = true;
    const comment = details.querySelector("textarea");
    if (comment) comment.focus();
    return true;
  }

  function toggleHelp() {
    const dialog = document.getElementById("shortcut-help");
    if (!dialog) return false;
    if (dialog.open) dialog.close();
    else dialog.showModal();
    return true;
  }

  function chooseOption(form, index) {
    const input = form.querySelectorAll('input[name="choice"]')[index];
    if (!input) return false;
    input.checked = input.type === "checkbox" ? !input.checked : true;
    input.focus();
    return true;
  }

  function handle(event) {
    const key = event.key;
    const focused = document.activeElement;
    if (key === "?") return !isTyping(focused) && toggleHelp();
    const dialog = document.getElementById("shortcut-help");
    if ((dialog && dialog.open) || isTyping(focused)) return false;
    const card = document.getElementById("card");
    if (!card) return false;

    const answerForm = card.querySelector("form[data-study-answer]");
    if (answerForm) {
      if (/^[1-9]$/.test(key)) return chooseOption(answerForm, Number(key) - 1);
      if (/^[a-e]$/.test(key)) return chooseOption(answerForm, key.charCodeAt(0) - 97);
      if (key === "Enter" && !activates(focused)) return submit(answerForm);
    } else {
      const rateForm = card.querySelector("form[data-study-rate]");
      if (rateForm && RATING_KEYS[key] && !(key === " " && activates(focused))) {
        const button = rateForm.querySelector('button[value="' + RATING_KEYS[key] + '"]');
        if (button) button.click();
        return Boolean(button);
      }
      const next = card.querySelector("[data-study-continue]");
      if (next && (key === "Enter" || key === " ") && !activates(focused)) {
        next.click();
        return true;
      }
      if (key === "b") return action("bury");
    }
    if (key === "B") return action("bury");
    if (key === "s") return action("suspend");
    if (key === "u") return action("undo");
    if (key === "f") return openFlag();
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    if (handle(event)) event.preventDefault();
  });

  // After htmx swaps in the feedback or the next question, move focus to its heading so screen readers
  // announce it and the keyboard carries on from there.
  // htmx:load fires on the swapped-in element itself (afterSettle of an outerHTML swap fires on the detached
  // old one, so it never reaches the document).
  document.addEventListener("htmx:load", function (event) {
    if (event.target === document.body) return; // the initial page load, not a swap
    // Only when the swap took the focus away (the pressed button or chosen option is gone): a learner who
    // already moved on inside the new card (e.g. "f", then typing a report) keeps the focus.
    const focused = document.activeElement;
    const lost = !focused || focused === document.body || !document.contains(focused);
    const heading = document.querySelector("#card [data-autofocus]");
    if (lost && heading) heading.focus();
    const error = document.getElementById("study-error");
    if (error) error.hidden = true;
  });

  // A refused request (400, 404...) is not swapped by htmx: say what happened instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    const error = document.getElementById("study-error");
    if (!error) return;
    const page = new DOMParser().parseFromString(event.detail.xhr.responseText || "", "text/html");
    const reason = page.querySelector("main p");
    error.textContent = (reason ? reason.textContent : "That did not work.") + " Reload the page to carry on.";
    error.hidden = false;
  });

  document.addEventListener("DOMContentLoaded", function () {
    const open = document.querySelector("[data-help-open]");
    if (open) {
      open.hidden = false;
      open.addEventListener("click", toggleHelp);
    }
  });
})();
