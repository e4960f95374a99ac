// The import preview: filter the rows by state without reloading (the links still work without this),
// and show that the import is running once it is confirmed.
document.addEventListener("DOMContentLoaded", () => {
  const table = document.querySelector("table.preview-table[data-all-rows]");
  if (table) {
    document.querySelectorAll(".import-tabs a[data-show]").forEach((link) => {
      link.addEventListener("click", (event) => {
        event.preventDefault();
        const shown = link.dataset.show;
        table.querySelectorAll("tbody tr").forEach((row) => {
          row.hidden = shown !== "all" && row.dataset.state !== shown;
        });
        document.querySelectorAll(".import-tabs a").forEach((other) => other.removeAttribute("aria-current"));
        link.setAttribute("aria-current", "page");
        window.history.replaceState(null, "", link.href);
      });
    });
  }
  document.querySelectorAll("form[data-import]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (event.defaultPrevented) return;  // the confirmation was declined
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      button.textContent = form.dataset.working;
    });
  });
});
