// Inline replies: a thread's "Antworten" link opens the reply form right below the
// thread's buttons instead of going to the reply page (which stays the no-JS path).
const template = document.getElementById("reply-form-template");

function relayout(element) {
  element.dispatchEvent(new CustomEvent("consult:layout", { bubbles: true }));
}

function openReply(link) {
  const actions = link.closest(".thread-actions");
  const open = actions.parentElement.querySelector(".reply-form");
  if (open) {
    open.querySelector("textarea").focus();
    return;
  }
  const form = template.content.firstElementChild.cloneNode(true);
  form.action = link.pathname;
  const id = `reply-body-${link.dataset.replyTo}`;
  form.querySelector("textarea").id = id;
  form.querySelector("label").htmlFor = id;
  const close = () => {
    form.remove();
    link.hidden = false;
    link.focus();
    relayout(actions);
  };
  form.querySelector("[data-cancel]").addEventListener("click", close);
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  actions.after(form);
  link.hidden = true;
  form.querySelector("textarea").focus();
  relayout(form);
}

if (template) {
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-reply-to]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    openReply(link);
  });
}
