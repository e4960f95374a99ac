// A request's pages: show only the fields that matter for what is being entered. Without this
// script every field stays visible and the server still checks everything.
document.addEventListener("DOMContentLoaded", () => {
  // The identifier form: platform for accounts, network for wallets and transactions, time for IPs.
  document.querySelectorAll("form.identifier-form").forEach((form) => {
    const kind = form.querySelector("select[name=kind]");
    const update = () => {
      form.querySelectorAll("[data-kinds]").forEach((block) => {
        block.hidden = !block.dataset.kinds.split(" ").includes(kind.value);
      });
      const time = form.querySelector("input[name=observed_at]");
      if (time) time.required = kind.value === "ip";
    };
    kind.addEventListener("change", update);
    update();
  });

  // The transition form: mark the reason as required for the steps that need one.
  document.querySelectorAll("form.transition-form").forEach((form) => {
    const target = form.querySelector("select[name=target]");
    const reason = form.querySelector("textarea[name=reason]");
    if (!target || !reason) return;
    const update = () => {
      const option = target.options[target.selectedIndex];
      const required = Boolean(option && option.dataset.reasonRequired);
      reason.required = required;
      reason.closest(".field").classList.toggle("field-needed", required);
    };
    target.addEventListener("change", update);
    update();
  });

  // The request form: the emergency justification matters only for an emergency.
  document.querySelectorAll("form.request-form").forEach((form) => {
    const urgency = form.querySelector("select[name=urgency]");
    const justification = form.querySelector("textarea[name=emergency_justification]");
    if (!urgency || !justification) return;
    const field = justification.closest(".field");
    const update = () => {
      const emergency = urgency.value === "emergency";
      field.hidden = !emergency && !justification.value && !field.classList.contains("field-invalid");
    };
    urgency.addEventListener("change", update);
    update();
  });
});
