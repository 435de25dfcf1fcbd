// The committee package's progress without reloading: polls the job's status (JSON, the
// API with the page's own session cookie) every second, moves the <progress> bar and the
// live status text, and shows the finished page (download, list of files) when done.
// Without JavaScript the page refreshes itself (a <noscript> meta refresh) instead.

const box = document.querySelector(".package-job[data-job-url]");
const bar = document.getElementById("job-progress");
const status = document.getElementById("job-step");

const POLL_MS = 1000;

async function poll() {
  let job;
  try {
    const response = await fetch(box.dataset.jobUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (!response.ok) throw new Error(String(response.status));
    job = await response.json();
  } catch {
    setTimeout(poll, POLL_MS * 3); // the server was busy or restarting: try again
    return;
  }
  if (job.status === "done" || job.status === "failed") {
    window.location.assign(box.dataset.pageUrl); // the finished page, rendered by the server
    return;
  }
  bar.value = job.progress;
  bar.textContent = `${job.progress} %`;
  const text = `${job.progress} % – ${job.step}`;
  if (status.textContent !== text) status.textContent = text;
  setTimeout(poll, POLL_MS);
}

if (box && bar && status) setTimeout(poll, POLL_MS / 2);
