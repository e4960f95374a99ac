// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Forms that destroy or send something ask first (the question is in data-confirm, already translated).
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // Filter forms submit on change of a select, so a list narrows as the officer picks.
  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });
  // Close the user menu when clicking elsewhere.
  document.addEventListener("click", (event) => {
    document.querySelectorAll("details.usermenu[open]").forEach((menu) => {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
});
