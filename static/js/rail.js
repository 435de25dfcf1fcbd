// The side rail: link highlights and threads both ways, and align threads with their text.
const article = document.querySelector(".document");

function threadsFor(mark) {
  return (mark.dataset.fb || "").split(" ").map((id) => document.getElementById(`fb-${id}`)).filter(Boolean);
}

function marksFor(thread) {
  const id = thread.dataset.fb;
  return Array.from(document.querySelectorAll("[data-fb]")).filter(
    (el) => !el.classList.contains("thread") && el.dataset.fb.split(" ").includes(id),
  );
}

function setActive(elements, on) {
  elements.forEach((el) => el.classList.toggle("is-active", on));
}

function align() {
  const wide = window.matchMedia("(min-width: 70rem)").matches;
  document.querySelectorAll(".doc-section").forEach((section) => {
    const rail = section.querySelector(".rail");
    if (!rail) return;
    let bottom = 0;
    rail.querySelectorAll(".thread").forEach((thread) => {
      thread.style.marginTop = "";
      if (!wide) return;
      const mark = marksFor(thread)[0];
      const railTop = rail.getBoundingClientRect().top;
      const desired = mark ? mark.getBoundingClientRect().top - railTop : bottom;
      const top = Math.max(desired, bottom);
      thread.style.marginTop = `${Math.max(top - bottom, 0)}px`;
      bottom = top + thread.getBoundingClientRect().height + 8;
    });
  });
}

if (article) {
  article.addEventListener("click", (event) => {
    const mark = event.target.closest("mark[data-fb], del[data-fb], ins[data-fb]");
    if (!mark || window.getSelection()?.toString()) return;
    const thread = threadsFor(mark)[0];
    if (thread) {
      thread.setAttribute("tabindex", "-1");
      thread.focus();
    }
  });
  for (const type of ["mouseover", "focusin"]) {
    article.addEventListener(type, (event) => {
      const thread = event.target.closest(".thread");
      const mark = event.target.closest("mark[data-fb], del[data-fb], ins[data-fb]");
      document.querySelectorAll(".is-active").forEach((el) => el.classList.remove("is-active"));
      if (thread) setActive([thread, ...marksFor(thread)], true);
      else if (mark) setActive([mark, ...threadsFor(mark)], true);
    });
  }
  window.addEventListener("resize", () => window.requestAnimationFrame(align));
  window.addEventListener("load", align);
  align();
}
