// Destructive actions are confirmed before anything is sent: a form (or its submit
// button) with data-confirm="…" opens a dialog that names the consequence
// (data-confirm-title, data-confirm, data-confirm-yes; consult/web/confirm.py writes
// them). The focus moves into the dialog, onto "Abbrechen"; "Abbrechen" or Escape closes
// it and puts the focus back on the button; "Ja, …" sends the form with confirmed=1.
// Without JavaScript (or when this module does not run) the server asks on a page of its
// own instead, so nothing depends on this script.
const template = document.getElementById("confirm-dialog-template");

function questionOf(form, submitter) {
  for (const element of [submitter, form]) {
    if (element && element.dataset && element.dataset.confirm) return element.dataset;
  }
  return null;
}

function isConfirmed(form) {
  return form.querySelector('input[name="confirmed"]')?.value === "1";
}

function markConfirmed(form) {
  let flag = form.querySelector('input[name="confirmed"]');
  if (!flag) {
    flag = document.createElement("input");
    flag.type = "hidden";
    flag.name = "confirmed";
    form.append(flag);
  }
  flag.value = "1";
}

function ask(form, submitter, question) {
  const dialog = template.content.firstElementChild.cloneNode(true);
  const title = dialog.querySelector("[data-confirm-title]");
  if (question.confirmTitle) title.textContent = question.confirmTitle;
  dialog.querySelector("[data-confirm-text]").textContent = question.confirm;
  const yes = dialog.querySelector("[data-confirm-yes]");
  if (question.confirmYes) yes.textContent = question.confirmYes;
  const no = dialog.querySelector("[data-confirm-no]");
  const origin = submitter || form.querySelector('[type="submit"]') || document.activeElement;
  let accepted = false;
  yes.addEventListener("click", () => {
    accepted = true;
    dialog.close();
  });
  no.addEventListener("click", () => dialog.close());
  // Escape fires "cancel" and then "close", as "Abbrechen" does.
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (accepted) {
      markConfirmed(form);
      if (submitter) form.requestSubmit(submitter);
      else form.requestSubmit();
    } else if (origin instanceof HTMLElement) {
      origin.focus();
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  no.focus();
}

if (template) {
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || isConfirmed(form)) return;
    const question = questionOf(form, event.submitter);
    if (!question) return;
    event.preventDefault();
    ask(form, event.submitter, question);
  });
}
