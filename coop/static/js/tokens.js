// The API tokens page: select the new token on focus, and copy it with one click.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input.token-value").forEach((input) => {
    input.addEventListener("focus", () => input.select());
  });
  document.querySelectorAll("button[data-copy-target]").forEach((button) => {
    button.addEventListener("click", async () => {
      const input = document.getElementById(button.dataset.copyTarget);
      input.select();
      try {
        await navigator.clipboard.writeText(input.value);
      } catch {
        document.execCommand("copy");  // pages served over plain HTTP have no clipboard API
      }
      button.textContent = button.dataset.copied;
    });
  });
});
