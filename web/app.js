// The marketplace in the browser: one page, routes in the URL's hash, the API on the same
// origin (the session is its HttpOnly cookie). No build step, no dependency.

const main = document.getElementById("main");
const statusRegion = document.getElementById("status");
const account = document.getElementById("account");
const banner = document.getElementById("banner");

let me = null; // the signed-in user, {id, email, emailVerified, mailSuppressed}, or null
let config = null; // GET /api/config
let leaving = []; // what the current view stops when another replaces it (timers)
let fetchedOrder = null; // {order, at}: an order's page just answered (GET or POST /api/orders, or a payment that completed it), for the view of it that follows at once

// --- the API ------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, errors, headers) {
    super(errors.map((error) => error.message).join(" "));
    this.status = status;
    this.errors = errors;
    this.headers = headers;
  }
}

async function api(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, [{ message: "The server cannot be reached. Check your connection and try again." }]);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const errors = Array.isArray(data?.errors) && data.errors.length
      ? data.errors
      : [{ message: response.status >= 500 ? "Something went wrong on our side. Please try again." : "That did not work." }];
    throw new ApiError(response.status, errors, response.headers);
  }
  return { data, headers: response.headers, status: response.status };
}

/// The address of the next page, from a `Link: <...>; rel="next"` header.
function nextPage(headers) {
  const link = headers.get("link");
  const match = link && link.match(/<([^>]+)>;\s*rel="next"/);
  return match ? match[1] : null;
}

// --- building the page --------------------------------------------------------------

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function render(title, ...content) {
  document.title = `${title} · Ticketing`;
  const heading = h("h1", { tabindex: "-1" }, title);
  main.replaceChildren(heading, ...content.flat().filter((part) => part !== null && part !== undefined));
  heading.focus();
}

let saidAt = 0;
function say(message) {
  statusRegion.textContent = message;
  saidAt = Date.now();
}

function alertBox(message) {
  return h("p", { class: "alert", role: "alert" }, message);
}

const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const price = (amount) => money.format(amount);
const when = (iso) =>
  iso ? new Date(iso).toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }) + " UTC" : "—";

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

/// Sends a signed-out visitor to sign in, and back here after.
function signInFirst(message = "Please sign in first.") {
  say(message);
  go(`#/signin?next=${encodeURIComponent(location.hash || "#/")}`);
}

/// After a 401. A session ended by signing out everywhere is still signed and still in its
/// cookie: clear the cookie too, then sign in.
async function signInAgain(error) {
  if (!error.message.startsWith("Session ended")) return signInFirst();
  await api("POST", "/api/users/signout", {}).catch(() => {});
  me = null;
  renderAccount();
  return signInFirst("Your sessions were ended on every device. Please sign in again.");
}

/// A form whose fields show the API's messages next to them.
function form({ fields, submit, onsubmit }) {
  const inputs = {};
  const messages = {};
  const summary = h("div", { "aria-live": "assertive" });
  const rows = fields.map((field) => {
    const id = `field-${field.name}`;
    const error = h("p", { id: `${id}-error`, class: "field-error" });
    const hint = field.hint ? h("p", { id: `${id}-hint`, class: "hint" }, field.hint) : null;
    const input = h("input", {
      id,
      name: field.name,
      type: field.type || "text",
      value: field.value ?? "",
      required: field.required,
      autocomplete: field.autocomplete,
      inputmode: field.inputmode,
      step: field.step,
      min: field.min,
      "aria-describedby": [hint && `${id}-hint`, `${id}-error`].filter(Boolean).join(" "),
    });
    inputs[field.name] = input;
    messages[field.name] = error;
    return h("div", { class: "field" }, h("label", { for: id }, field.label), input, hint, error);
  });
  const button = h("button", { type: "submit" }, submit);
  const element = h("form", { novalidate: true }, summary, rows, h("div", { class: "actions" }, button));
  const clear = () => {
    summary.replaceChildren();
    for (const name in messages) {
      messages[name].textContent = "";
      inputs[name].removeAttribute("aria-invalid");
    }
  };
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    button.disabled = true;
    try {
      const values = Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name, input.value]));
      await onsubmit(values);
    } catch (error) {
      const general = [];
      for (const entry of error.errors || [{ message: String(error.message || error) }]) {
        if (entry.field && messages[entry.field]) {
          messages[entry.field].textContent = entry.message;
          inputs[entry.field].setAttribute("aria-invalid", "true");
        } else {
          general.push(entry.message);
        }
      }
      if (general.length) summary.replaceChildren(alertBox(general.join(" ")));
      const invalid = element.querySelector('[aria-invalid="true"]');
      (invalid || button).focus();
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

// --- the header ---------------------------------------------------------------------

async function loadMe() {
  try {
    me = (await api("GET", "/api/users/currentuser")).data.currentUser;
  } catch {
    me = null;
  }
  renderAccount();
}

function renderAccount() {
  if (me) {
    account.replaceChildren(
      h("span", {}, "Signed in as ", h("strong", {}, me.email)),
      h("button", { type: "button", class: "secondary", onclick: () => signOut(false) }, "Sign out"),
      h("button", { type: "button", class: "secondary", onclick: () => signOut(true) }, "Sign out everywhere"),
    );
  } else {
    account.replaceChildren(
      h("a", { href: "#/signin" }, "Sign in"),
      h("a", { href: "#/signup", class: "button" }, "Sign up"),
    );
  }
  renderBanner();
}

/// Until the signed-in user's address is verified, a banner says so, with a button that mails
/// another link; an address that is no longer mailed is said instead.
function renderBanner() {
  if (me?.mailSuppressed) {
    banner.hidden = false;
    banner.replaceChildren(h("p", {}, "Mail to ", h("strong", {}, me.email),
      " is not delivered: it bounced, or a mail was reported as unwanted. Receipts and links are not mailed to it."));
  } else if (me && me.emailVerified === false) {
    banner.hidden = false;
    banner.replaceChildren(
      h("p", {}, "Verify your e-mail address: we mailed a link to ", h("strong", {}, me.email), "."),
      h("button", { type: "button", class: "secondary", onclick: resendVerification }, "Mail me another link"));
  } else {
    banner.hidden = true;
    banner.replaceChildren();
  }
}

async function resendVerification(event) {
  event.target.disabled = true;
  try {
    await api("POST", "/api/users/verify-email/resend", {});
    say(`Another link is on its way to ${me.email}. It works once, within 24 hours.`);
  } catch (error) {
    if (error.status === 401) return signInAgain(error);
    if (error.status === 409) await loadMe();
    say(error.message);
  } finally {
    event.target.disabled = false;
  }
}

async function signOut(everywhere) {
  try {
    await api("POST", "/api/users/signout", everywhere ? { everywhere: true } : {});
  } catch (error) {
    if (error.status === 401) return signInAgain(error);
    say(error.message);
    return;
  }
  me = null;
  renderAccount();
  say(everywhere ? "You are signed out on every device." : "You are signed out.");
  go("#/");
}

function markCurrentNav() {
  const path = (location.hash || "#/").split("?")[0];
  for (const link of document.querySelectorAll(".top nav a")) {
    const target = link.getAttribute("href");
    const current = target === "#/" ? path === "#/" || path.startsWith("#/tickets") : path.startsWith(target);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

// --- tickets ------------------------------------------------------------------------

function ticketCard(ticket) {
  return h(
    "li",
    { class: "card" },
    h("h2", {}, h("a", { href: `#/tickets/${ticket.id}` }, ticket.title)),
    h("p", { class: "price" }, price(ticket.price)),
    ticket.date ? h("p", {}, when(ticket.date)) : null,
    ticket.venue ? h("p", {}, ticket.venue) : null,
    ticket.status === "available" ? null : h("p", {}, h("span", { class: "badge" }, ticket.status)),
  );
}

async function listing(title, firstPage, intro) {
  const list = h("ul", { class: "cards", "aria-label": title });
  const more = h("button", { type: "button", class: "secondary" }, "Show more");
  const empty = h("p", { class: "note" }, "Nothing here yet.");
  let next = firstPage;
  // A page may come back short (even empty) with a next link: the API reads a bounded number
  // of tickets a request. Follow a few links until there is something to show.
  const load = async () => {
    more.disabled = true;
    let added = 0;
    for (let round = 0; next && added === 0 && round < 5; round++) {
      const { data, headers } = await api("GET", next);
      list.append(...data.map(ticketCard));
      added += data.length;
      next = nextPage(headers);
    }
    more.hidden = !next;
    empty.hidden = list.children.length > 0;
    more.disabled = false;
  };
  more.addEventListener("click", () => load().catch((error) => say(error.message)));
  await load();
  return [intro, empty, list, h("div", { class: "actions" }, more)];
}

async function ticketsPage(show) {
  show("Tickets for sale", await listing("Tickets for sale", "/api/tickets?limit=12", null));
}

async function ticketPage(show, id) {
  const { data: ticket } = await api("GET", `/api/tickets/${encodeURIComponent(id)}`);
  const mine = me && me.id === ticket.userId;
  const facts = h(
    "dl",
    { class: "facts" },
    h("dt", {}, "Price"),
    h("dd", { class: "price" }, price(ticket.price)),
    h("dt", {}, "Date"),
    h("dd", {}, when(ticket.date)),
    h("dt", {}, "Venue"),
    h("dd", {}, ticket.venue || "—"),
    h("dt", {}, "Status"),
    h("dd", {}, h("span", { class: "badge", id: "ticket-status" }, ticket.status)),
  );
  const feedback = h("div", { "aria-live": "assertive" });
  const actions = h("div", { class: "actions" });
  if (mine) {
    actions.append(
      h("a", { class: "button secondary", href: `#/tickets/${ticket.id}/edit` }, "Edit"),
      h("button", {
        type: "button",
        class: "danger",
        onclick: async () => {
          try {
            await api("DELETE", `/api/tickets/${ticket.id}`);
            say(`“${ticket.title}” is no longer for sale.`);
            go("#/sell");
          } catch (error) {
            feedback.replaceChildren(alertBox(explainTicketChange(error)));
          }
        },
      }, "Delete"),
    );
  } else if (ticket.status === "available") {
    actions.append(h("button", {
      type: "button",
      onclick: async (event) => {
        if (!me) return signInFirst();
        event.target.disabled = true;
        try {
          const { data: order } = await api("POST", "/api/orders", { ticketId: ticket.id });
          fetchedOrder = { order, at: Date.now() }; // the answer is the order's page
          say("Reserved for you: pay before the time runs out.");
          go(`#/orders/${order.id}`);
        } catch (error) {
          if (error.status === 401) return signInAgain(error);
          feedback.replaceChildren(alertBox(error.message));
          event.target.disabled = false;
        }
      },
    }, me ? `Buy for ${price(ticket.price)}` : "Sign in to buy"));
  } else if (ticket.file && ticket.orderId) {
    actions.append(h("a", { class: "button", href: `/api/orders/${ticket.orderId}/file` }, "Download ticket"));
  } else {
    actions.append(h("p", { class: "note" }, ticket.status === "sold" ? "This ticket is sold." : "This ticket is reserved by someone else."));
  }
  show(ticket.title, facts, feedback, actions, mine ? fileSection(ticket) : null,
    h("p", {}, h("a", { href: "#/" }, "Back to the tickets")));
}

// --- ticket files -------------------------------------------------------------------

const FILE_TYPES = ["application/pdf", "image/png", "image/jpeg"];
const fileSize = (bytes) => bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1048576).toFixed(1)} MB`;
const fileKind = (type) => ({ "application/pdf": "PDF", "image/png": "PNG image", "image/jpeg": "JPEG image" })[type] || type;

/// A file input with its limits stated, the API's message under it and the upload's progress.
function fileField(label) {
  const id = "field-file";
  const input = h("input", {
    id, name: "file", type: "file", accept: FILE_TYPES.join(","), "aria-describedby": `${id}-hint ${id}-error`,
  });
  const error = h("p", { id: `${id}-error`, class: "field-error" });
  const progress = h("progress", { id: "upload-progress", max: "100", value: "0", hidden: true, "aria-label": "Upload progress" });
  const element = h("div", { class: "field" }, h("label", { for: id }, label), input,
    h("p", { id: `${id}-hint`, class: "hint" },
      "The ticket the venue issued: a PDF, PNG or JPEG of at most 5 MB. Only a buyer who has paid can download it."),
    progress, error);
  return { element, input, error, progress };
}

/// Uploads the file chosen in `field` as the ticket's: asks the API where, PUTs the bytes
/// straight there (with the progress shown), then waits for the stored file to be checked.
/// True once the ticket shows it; otherwise the reason is under the field.
async function uploadTicketFile(ticketId, field) {
  const file = field.input.files[0];
  field.error.textContent = "";
  field.input.removeAttribute("aria-invalid");
  const fail = (message) => {
    field.progress.hidden = true;
    field.error.textContent = message;
    field.input.setAttribute("aria-invalid", "true");
    field.input.focus();
    return false;
  };
  if (!file) return fail("Choose the ticket's file first.");
  let upload;
  try {
    ({ data: upload } = await api("POST", `/api/tickets/${ticketId}/file`, { fileName: file.name, contentType: file.type, size: file.size }));
  } catch (error) {
    return fail(error.message);
  }
  field.progress.hidden = false;
  field.progress.value = 0;
  const stored = await new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("PUT", upload.url);
    // The browser sets the length itself; every other header is as signed.
    for (const [name, value] of Object.entries(upload.headers)) if (name !== "content-length") request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => { if (event.lengthComputable) field.progress.value = Math.round((100 * event.loaded) / event.total); };
    request.onload = () => resolve(request.status >= 200 && request.status < 300);
    request.onerror = () => resolve(false);
    request.send(file);
  });
  if (!stored) return fail("The upload did not go through. Please try again.");
  field.progress.value = 100;
  // The stored file is checked (its size and first bytes) before the ticket shows it.
  for (let attempt = 0; attempt < 20; attempt++) {
    const { data: ticket } = await api("GET", `/api/tickets/${ticketId}`);
    if (ticket.file && ticket.file.size === file.size && ticket.file.name === file.name.replace(/^ +| +$/g, "")) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return fail("The file was not accepted: it must really be the PDF, PNG or JPEG it says it is.");
}

/// The seller's view of their ticket's file: what is attached, and the upload while it may
/// still change.
function fileSection(ticket) {
  const section = h("section", { id: "ticket-file", "aria-labelledby": "ticket-file-heading" },
    h("h2", { id: "ticket-file-heading" }, "Ticket file"));
  if (ticket.file) {
    section.append(h("p", {}, `${ticket.file.name} (${fileKind(ticket.file.contentType)}, ${fileSize(ticket.file.size)}) `,
      h("a", { href: `/api/tickets/${ticket.id}/file`, id: "download-own-file" }, "Download")));
  } else if (ticket.status === "sold") {
    section.append(h("p", { class: "alert", role: "status" },
      "Sold without its file: upload it now so that the buyer gets the ticket and you get paid."));
  } else {
    section.append(h("p", { class: "note" }, "No file yet. Buyers are told when it is attached after their purchase."));
  }
  if (ticket.status === "sold" && ticket.file) return section;
  const field = fileField(ticket.file ? "Replace the file" : "Attach the file");
  const button = h("button", { type: "submit" }, "Upload");
  const upload = h("form", { novalidate: true }, field.element, h("div", { class: "actions" }, button));
  upload.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      if (await uploadTicketFile(ticket.id, field)) {
        say("The ticket's file is attached.");
        route();
      }
    } finally {
      button.disabled = false;
    }
  });
  section.append(upload);
  return section;
}

function explainTicketChange(error) {
  if (error.status === 409) return "This ticket is reserved or sold, so it cannot change any more.";
  if (error.status === 403) return "Only the seller can change this ticket.";
  return error.message;
}

function ticketFields(ticket = {}) {
  return [
    { name: "title", label: "Title", value: ticket.title, required: true },
    { name: "price", label: "Price (USD)", type: "number", step: "0.01", min: "0.01", inputmode: "decimal", value: ticket.price, required: true, hint: "Up to 999,999.99, at most two decimals." },
    { name: "date", label: "Date and time (UTC)", type: "datetime-local", value: ticket.date ? ticket.date.slice(0, 16) : "", hint: "Optional; in the future." },
    { name: "venue", label: "Venue", value: ticket.venue, hint: "Optional." },
  ];
}

/// The API's body for a ticket form: the price as a number, the date as UTC.
function draft(values) {
  const number = values.price.trim() === "" ? null : Number(values.price);
  return {
    title: values.title,
    price: Number.isFinite(number) ? number : values.price,
    date: values.date ? `${values.date}:00Z` : null,
    venue: values.venue || null,
  };
}

/// What a seller receives of a price written in dollars, at the payout terms of listings made
/// now (`GET /api/config`): the fee is `feeBps` hundredths of a percent of the price, rounded
/// half up to the cent, plus `feeFixed`, never more than the price. `null` for no price.
function youReceive(priceText) {
  const terms = config?.payouts;
  const number = Number(priceText);
  if (!terms || priceText.trim() === "" || !Number.isFinite(number) || number <= 0) return null;
  const cents = Math.round(number * 100);
  const fee = Math.min(cents, Math.floor((cents * terms.feeBps + 5000) / 10000) + Math.round(terms.feeFixed * 100));
  return { fee: fee / 100, net: (cents - fee) / 100 };
}

const holdText = (seconds) => {
  if (seconds % 86400 === 0) return `${seconds / 86400} day${seconds === 86400 ? "" : "s"}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? "" : "s"}`;
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
};

/// "You receive …" under a form's price, following what is typed.
function receiveNote(create) {
  const note = h("p", { class: "hint", id: "you-receive", "aria-live": "polite" });
  const input = create.querySelector('input[name="price"]');
  const update = () => {
    const terms = config?.payouts;
    const share = youReceive(input.value);
    note.textContent = share
      ? `You receive ${price(share.net)} (fee ${price(share.fee)}), paid out ${holdText(terms.holdSeconds)} after the event.`
      : terms ? `The fee is ${(terms.feeBps / 100).toFixed(2)} % of the price plus ${price(terms.feeFixed)}.` : "";
  };
  input.addEventListener("input", update);
  update();
  input.closest(".field").append(note);
}

async function sellPage(show) {
  if (!me) return signInFirst();
  const file = fileField("Ticket file (optional now)");
  const create = form({
    fields: ticketFields(),
    submit: "List the ticket",
    onsubmit: async (values) => {
      const { data: ticket } = await api("POST", "/api/tickets", draft(values));
      if (file.input.files.length && !(await uploadTicketFile(ticket.id, file))) {
        say(`“${ticket.title}” is for sale, but its file was not attached: ${file.error.textContent}`);
      } else {
        say(`“${ticket.title}” is for sale.`);
      }
      go(`#/tickets/${ticket.id}`);
    },
  });
  create.querySelector(".actions").before(file.element);
  receiveNote(create);
  const mine = await listing("Your tickets", `/api/tickets?userId=${encodeURIComponent(me.id)}&limit=12`, null);
  show("Sell a ticket", create, h("p", {}, h("a", { href: "#/payouts" }, "Your payouts")), h("h2", {}, "Your tickets"), mine);
}

async function editPage(show, id) {
  if (!me) return signInFirst();
  const { data: ticket } = await api("GET", `/api/tickets/${encodeURIComponent(id)}`);
  const file = fileField(ticket.file ? `Replace the file (now ${ticket.file.name})` : "Ticket file");
  const edit = form({
    fields: ticketFields(ticket),
    submit: "Save",
    onsubmit: async (values) => {
      try {
        await api("PUT", `/api/tickets/${ticket.id}`, draft(values));
      } catch (error) {
        if (error.status === 409 || error.status === 403) throw new ApiError(error.status, [{ message: explainTicketChange(error) }]);
        throw error;
      }
      if (file.input.files.length && !(await uploadTicketFile(ticket.id, file))) return;
      say("Saved.");
      go(`#/tickets/${ticket.id}`);
    },
  });
  edit.querySelector(".actions").before(file.element);
  show(`Edit “${ticket.title}”`, edit);
}

// --- accounts -----------------------------------------------------------------------

function returnTo() {
  const query = (location.hash.split("?")[1] || "");
  const next = new URLSearchParams(query).get("next");
  return next && next.startsWith("#/") ? next : "#/";
}

function signInPage(show) {
  const signIn = form({
    fields: [
      { name: "email", label: "Email", type: "email", autocomplete: "email", required: true },
      { name: "password", label: "Password", type: "password", autocomplete: "current-password", required: true },
    ],
    submit: "Sign in",
    onsubmit: async (values) => {
      await api("POST", "/api/users/signin", values);
      // The account's own view: whether its address is verified.
      await loadMe();
      say(`Welcome back, ${me?.email ?? values.email}.`);
      go(returnTo());
    },
  });
  show(
    "Sign in",
    signIn,
    h("p", {}, h("a", { href: "#/forgot-password" }, "Forgot your password?")),
    h("p", {}, "New here? ", h("a", { href: `#/signup?next=${encodeURIComponent(returnTo())}` }, "Create an account")),
  );
}

function forgotPasswordPage(show) {
  const ask = form({
    fields: [{ name: "email", label: "Email", type: "email", autocomplete: "email", required: true }],
    submit: "Mail me a link",
    onsubmit: async (values) => {
      await api("POST", "/api/users/password-reset", values);
      say(`If ${values.email} has an account, a link to choose a new password is on its way. It works once, within 30 minutes.`);
    },
  });
  show("Forgot your password?", h("p", {}, "We mail you a link to choose a new one."), ask);
}

function resetPasswordPage(show) {
  const token = new URLSearchParams(location.hash.split("?")[1] || "").get("token") || "";
  const reset = form({
    fields: [
      { name: "password", label: "New password", type: "password", autocomplete: "new-password", required: true, hint: "8 to 128 characters." },
    ],
    submit: "Set the password",
    onsubmit: async (values) => {
      await api("POST", "/api/users/password-reset/confirm", { token, password: values.password });
      me = null;
      renderAccount();
      say("Your password is set. Sign in with it.");
      go("#/signin");
    },
  });
  show("Choose a new password", reset, h("p", {}, h("a", { href: "#/forgot-password" }, "Ask for another link")));
}

async function verifyEmailPage(show) {
  const token = new URLSearchParams(location.hash.split("?")[1] || "").get("token") || "";
  try {
    await api("POST", "/api/users/verify-email", { token });
  } catch (error) {
    if (error.status !== 400) throw error;
    return show("Verify your e-mail address", alertBox(error.message),
      h("p", {}, me ? "Use the button above for another link." : h("a", { href: "#/signin" }, "Sign in to ask for another link")));
  }
  await loadMe();
  show("Your e-mail address is verified", h("p", {}, "Thank you. ", h("a", { href: "#/payouts" }, "Set up payouts"), " to be paid for what you sell."));
}

function signUpPage(show) {
  const signUp = form({
    fields: [
      { name: "email", label: "Email", type: "email", autocomplete: "email", required: true },
      { name: "password", label: "Password", type: "password", autocomplete: "new-password", required: true, hint: "8 to 128 characters." },
    ],
    submit: "Create account",
    onsubmit: async (values) => {
      // A new account: its address is not verified yet (the mail with the link is on its way).
      me = { ...(await api("POST", "/api/users/signup", values)).data, emailVerified: false, mailSuppressed: false };
      renderAccount();
      say(`Welcome, ${me.email}.`);
      go(returnTo());
    },
  });
  show("Create an account", signUp, h("p", {}, "Have an account? ", h("a", { href: `#/signin?next=${encodeURIComponent(returnTo())}` }, "Sign in")));
}

// --- orders -------------------------------------------------------------------------

const orderStatus = (order) => {
  if (order.status === "complete") return "Paid";
  if (order.status === "cancelled") return order.cancelReason === "expired" ? "Expired" : "Cancelled";
  if (order.status === "refunded") return "Refunded";
  if (order.status === "disputed") return "Disputed: on hold";
  return "Reserved, waiting for payment";
};

async function ordersPage(show) {
  if (!me) return signInFirst();
  const { data } = await api("GET", "/api/orders?limit=50");
  const rows = data.map((order) =>
    h("tr", {},
      h("td", {}, h("a", { href: `#/orders/${order.id}` }, order.ticket.title)),
      h("td", {}, price(order.ticket.price)),
      h("td", {}, orderStatus(order)),
      h("td", {}, when(order.createdAt))));
  show("My orders", data.length
    ? h("table", {}, h("caption", { class: "hint" }, "Newest first"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Ticket"), h("th", { scope: "col" }, "Price"), h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Ordered"))),
        h("tbody", {}, rows))
    : h("p", { class: "note" }, "No orders yet. ", h("a", { href: "#/" }, "Find a ticket")));
}

function countdown(seconds, onEnd) {
  const clock = h("span", { class: "countdown", role: "timer", "aria-label": "Time left to pay" });
  let left = Math.max(0, seconds);
  const render = () => {
    const minutes = Math.floor(left / 60);
    clock.textContent = `${minutes}:${String(left % 60).padStart(2, "0")}`;
  };
  render();
  const timer = setInterval(() => {
    left = Math.max(0, left - 1);
    render();
    if (left <= 0) {
      clearInterval(timer);
      onEnd();
    }
  }, 1000);
  leaving.push(() => clearInterval(timer));
  return clock;
}

/// A complete order's problem as reported, or the form to report one.
function problemSection(order) {
  if (order.problem) {
    const { message, reportedAt, resolvedAt } = order.problem;
    return h("div", { class: "note", id: "problem", role: "status" },
      h("h2", {}, "Your problem report"),
      h("p", {}, `“${message}”, reported ${when(reportedAt)}.`),
      h("p", {}, resolvedAt
        ? `It was looked into and resolved ${when(resolvedAt)}.`
        : "The seller is not paid while we look into it; if the problem is upheld, your payment is refunded."));
  }
  const report = form({
    fields: [{ name: "message", label: "What went wrong?", required: true,
      hint: "For example: the ticket never arrived. The seller is not paid until this is looked into." }],
    submit: "Report a problem",
    onsubmit: async (values) => {
      await api("POST", `/api/orders/${order.id}/problem`, { message: values.message });
      say("Problem reported: the seller is not paid until it is looked into.");
      route();
    },
  });
  return h("details", { id: "report-problem" }, h("summary", {}, "A problem with this ticket?"), report);
}

async function orderPage(show, id) {
  if (!me) return signInFirst();
  // The order comes with its payments, the seconds its reservation has left and, complete, its ticket's file.
  const fresh = fetchedOrder && fetchedOrder.order.id === id && Date.now() - fetchedOrder.at < 2000;
  const order = fresh ? fetchedOrder.order : (await api("GET", `/api/orders/${encodeURIComponent(id)}`)).data;
  fetchedOrder = null;
  const payments = order.payments;
  const open = order.status === "created" || order.status === "awaiting:payment";
  const facts = h("dl", { class: "facts" },
    h("dt", {}, "Ticket"), h("dd", {}, h("a", { href: `#/tickets/${order.ticket.id}` }, order.ticket.title)),
    h("dt", {}, "Price"), h("dd", { class: "price" }, price(order.ticket.price)),
    h("dt", {}, "Status"), h("dd", { id: "order-status" }, orderStatus(order)));
  const parts = [facts];
  if (open) {
    parts.push(h("p", {}, "Reserved for you for ", countdown(order.secondsRemaining, () => route()), " more."));
    parts.push(await paymentSection(order, payments));
    parts.push(h("div", { class: "actions" }, h("button", {
      type: "button", class: "secondary",
      onclick: async () => {
        await api("DELETE", `/api/orders/${order.id}`).catch((error) => say(error.message));
        say("Order cancelled: the ticket is for sale again.");
        route();
      },
    }, "Cancel the order")));
  } else if (order.status === "complete") {
    const paid = payments.find((payment) => payment.status === "succeeded" || payment.status === "refunded");
    parts.push(h("div", { class: "success", role: "status" },
      h("h2", {}, "Receipt"),
      h("p", {}, `Paid ${price(paid ? paid.amount : order.ticket.price)} for “${order.ticket.title}”.`),
      paid ? h("p", {}, `Payment ${paid.stripeId}, ${when(paid.createdAt)}.`) : null));
    parts.push(order.file
      ? h("p", { class: "actions" }, h("a", { class: "button", id: "download-ticket", href: `/api/orders/${order.id}/file` },
          `Download ticket (${fileKind(order.file.contentType)}, ${fileSize(order.file.size)})`))
      : h("p", { class: "note", id: "ticket-not-ready", role: "status" },
          "The seller has not uploaded the ticket yet. You will be told as soon as it is ready, and the seller is not paid until then."));
    parts.push(problemSection(order));
  } else if (order.status === "disputed") {
    parts.push(h("p", { class: "alert", role: "status" },
      "Your bank disputes this payment. The order is on hold until the bank decides: if it decides for you, the payment is refunded; otherwise the order is complete again."));
  } else if (order.status === "refunded") {
    parts.push(h("p", { class: "note", role: "status" },
      `Your payment of ${price(order.ticket.price)} was refunded ${when(order.refundedAt)}; this order is closed.`));
  } else if (order.cancelReason === "expired") {
    parts.push(h("p", { class: "alert", role: "alert" }, "This reservation expired before it was paid; the ticket is for sale again."));
  } else {
    parts.push(h("p", { class: "note" }, "You cancelled this order."));
  }
  if (payments.length) parts.push(...paymentsTable(payments));
  show(`Order for “${order.ticket.title}”`, parts);
}

const paymentStatus = (payment) => {
  if (payment.status === "succeeded") return payment.amountRefunded ? `Paid, ${price(payment.amountRefunded)} refunded` : "Paid";
  if (payment.status === "refunded") return payment.failureMessage ? `Refunded: ${payment.failureMessage}` : "Refunded";
  if (payment.status === "refunding") return "Being refunded";
  if (payment.status === "canceling" || payment.status === "canceled") return "Cancelled, never charged";
  if (payment.status === "requires_action") return "Waiting for the bank (3-D Secure)";
  if (payment.status === "processing") return "Processing";
  return payment.failureMessage ? `Declined: ${payment.failureMessage}` : "Waiting for a card";
};

function paymentsTable(payments) {
  return [
    h("h2", {}, "Payments for this order"),
    h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Payment"), h("th", { scope: "col" }, "Amount"), h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Started"))),
      h("tbody", {}, payments.map((payment) =>
        h("tr", {},
          h("td", {}, payment.stripeId),
          h("td", {}, price(payment.amount)),
          h("td", {}, paymentStatus(payment)),
          h("td", {}, when(payment.createdAt)))))),
  ];
}

/// Shows the order a payment settled, from the API's answer (it carries the order's page).
function showSettled(order) {
  say(order.status === "complete" ? "Payment received." : "The order was not paid.");
  fetchedOrder = { order, at: Date.now() };
  return route();
}

/// Once the browser has confirmed the payment: asks the API to record it, which answers with
/// the complete order; polls the order only while the bank has not settled it yet.
async function recordPayment(orderId, feedback) {
  try {
    const { data } = await api("POST", "/api/payments", { orderId });
    if (data.order) return showSettled(data.order);
  } catch (error) {
    if (error.status !== 409) throw error;
  }
  return awaitCompletion(orderId, feedback);
}

/// Polls the order until the payment's news has come (Stripe's webhook).
async function awaitCompletion(orderId, feedback) {
  feedback.replaceChildren(h("p", { class: "note", role: "status" }, "Waiting for the payment to be confirmed…"));
  for (let attempt = 0; attempt < 60; attempt += 1) {
    const { data: order } = await api("GET", `/api/orders/${orderId}`);
    if (order.status !== "created" && order.status !== "awaiting:payment") return showSettled(order);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  feedback.replaceChildren(alertBox("The payment has not been confirmed yet. This page will show it once it is; you can reload it later."));
}

async function paymentSection(order, payments) {
  const feedback = h("div", { "aria-live": "assertive" });
  const pending = payments.find((payment) => payment.status === "requires_action");
  const failed = payments.find((payment) => payment.failureMessage);
  if (failed && !pending) feedback.append(alertBox(`The last payment did not go through: ${failed.failureMessage} Try another card.`));
  if (config.payments === "stripe") return stripePayment(order, feedback);
  return testPayment(order, feedback, pending);
}

function testPayment(order, feedback, pending) {
  const cards = config.testCards.map((card, index) =>
    h("label", {}, h("input", { type: "radio", name: "card", value: card.token, checked: index === 0 }), card.label));
  const pay = h("button", { type: "submit" }, `Pay ${price(order.ticket.price)}`);
  const element = h("form", {},
    h("h2", {}, "Pay"),
    h("fieldset", {}, h("legend", {}, "Test card"), cards),
    feedback, h("div", { class: "actions" }, pay));
  if (pending) feedback.append(authenticate(pending, order, feedback));
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    pay.disabled = true;
    const token = element.querySelector("input[name=card]:checked").value;
    try {
      const { data: payment, status } = await api("POST", "/api/payments", { orderId: order.id, token });
      if (status === 202) feedback.replaceChildren(authenticate(payment, order, feedback));
      else showSettled(payment.order);
    } catch (error) {
      feedback.replaceChildren(alertBox(error.status === 402 ? `The payment did not go through: ${error.message} Try another card.` : error.message));
      pay.disabled = false;
      pay.focus();
    }
  });
  return element;
}

/// The bank's 3-D Secure step, as the local test gateway plays it.
function authenticate(payment, order, feedback) {
  const answer = async (success) => {
    try {
      await api("POST", "/_local/test-gateway/authenticate", { clientSecret: payment.clientSecret, success });
      if (success) await recordPayment(order.id, feedback);
      else feedback.replaceChildren(alertBox("The bank did not confirm the payment. Try another card."));
    } catch (error) {
      feedback.replaceChildren(alertBox(error.message));
    }
  };
  return h("div", { class: "note", role: "group", "aria-label": "3-D Secure" },
    h("p", {}, "Your bank asks you to confirm this payment (3-D Secure)."),
    h("div", { class: "actions" },
      h("button", { type: "button", onclick: () => answer(true) }, "Confirm the payment"),
      h("button", { type: "button", class: "secondary", onclick: () => answer(false) }, "Refuse")));
}

let stripeLoading = null;
function loadStripe() {
  stripeLoading ??= new Promise((resolve, reject) => {
    const script = h("script", { src: config.stripeJsUrl });
    script.addEventListener("load", () => resolve(window.Stripe(config.publishableKey)));
    script.addEventListener("error", () => reject(new Error("Stripe could not be loaded. Check your connection and try again.")));
    document.head.append(script);
  });
  return stripeLoading;
}

async function stripePayment(order, feedback) {
  const mount = h("div", { id: "card-element" });
  const pay = h("button", { type: "submit" }, `Pay ${price(order.ticket.price)}`);
  const element = h("form", {}, h("h2", {}, "Pay"),
    h("div", { class: "field" }, h("span", { id: "card-label" }, "Card"), mount), feedback, h("div", { class: "actions" }, pay));
  mount.setAttribute("aria-labelledby", "card-label");
  let card = null;
  loadStripe()
    .then((stripe) => {
      card = stripe.elements().create("card");
      card.mount(mount);
    })
    .catch((error) => feedback.replaceChildren(alertBox(error.message)));
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    pay.disabled = true;
    try {
      const stripe = await loadStripe();
      const { data: payment } = await api("POST", "/api/payments", { orderId: order.id });
      const result = await stripe.confirmCardPayment(payment.clientSecret, { payment_method: { card } });
      if (result.error) {
        feedback.replaceChildren(alertBox(`The payment did not go through: ${result.error.message} Try another card.`));
        pay.disabled = false;
        return;
      }
      await recordPayment(order.id, feedback);
    } catch (error) {
      feedback.replaceChildren(alertBox(error.message));
      pay.disabled = false;
    }
  });
  return element;
}

// --- payouts ------------------------------------------------------------------------

const payoutStatus = (payout) => ({
  scheduled: "Scheduled",
  held: "Held",
  paid: "Paid",
  reversed: "Partly taken back",
  cancelled: "Cancelled",
})[payout.status] || payout.status;

const holdReason = (reason) => ({
  dispute: "the buyer's bank contests the charge",
  problem: "the buyer reported a problem",
  no_account: "connect a payout account",
  awaiting_delivery: "upload the ticket's file for the buyer",
})[reason] || reason;

async function connectPayouts(event) {
  event.target.disabled = true;
  try {
    const { data } = await api("POST", "/api/payouts/account", {});
    location.assign(data.url);
  } catch (error) {
    say(error.message);
    event.target.disabled = false;
  }
}

async function payoutsPage(show) {
  if (!me) return signInFirst();
  const [{ data: account }, { data: payouts }] = await Promise.all([
    api("GET", "/api/payouts/account"),
    api("GET", "/api/payouts?limit=50"),
  ]);
  const state = h("section", { class: "note", id: "payout-account", "aria-labelledby": "payout-account-title" },
    h("h2", { id: "payout-account-title" }, "Payout account"));
  if (account.status === "enabled") {
    state.append(h("p", {}, "Payouts are enabled: each sale is paid out after its event."),
      account.dashboardUrl ? h("p", {}, h("a", { href: account.dashboardUrl }, "Your payout dashboard")) : null);
  } else if (account.disconnected) {
    state.append(h("p", { class: "alert" },
      "Your payout account was disconnected from this marketplace: your sales are held. Contact support to connect another."));
  } else if (!me.emailVerified) {
    state.append(h("p", {}, "Verify your e-mail address to set up payouts: use the link we mailed to ",
      h("strong", {}, me.email), "."));
  } else {
    state.append(
      h("p", {}, account.status === "pending"
        ? "Your payout account is not finished yet: sales are held until it is."
        : "Connect a payout account to be paid for what you sell."),
      h("button", { type: "button", onclick: connectPayouts }, account.status === "pending" ? "Finish setting up payouts" : "Set up payouts"));
  }
  const rows = payouts.map((payout) =>
    h("tr", { "data-order": payout.orderId },
      h("td", {}, h("a", { href: `#/tickets/${payout.ticketId}` }, "Ticket")),
      h("td", {}, price(payout.amount)),
      h("td", {}, price(payout.fee)),
      h("td", { class: "price" }, price(payout.net)),
      h("td", {}, h("span", { class: "badge" }, payoutStatus(payout)),
        payout.heldFor.length ? h("span", { class: "hint" }, ` (${payout.heldFor.map(holdReason).join("; ")})`) : null,
        payout.reversed > 0 ? h("span", { class: "hint" }, ` (${price(payout.reversed)} taken back)`) : null),
      h("td", {}, when(payout.releaseAt))));
  show("Payouts", state, h("h2", {}, "Your sales"), payouts.length
    ? h("table", {}, h("caption", { class: "hint" }, "Newest first: the price, less the fee, is what you receive."),
        h("thead", {}, h("tr", {}, ...["Ticket", "Amount", "Fee", "You receive", "Status", "Paid out from"].map((name) => h("th", { scope: "col" }, name)))),
        h("tbody", {}, rows))
    : h("p", { class: "note" }, "No sales yet. ", h("a", { href: "#/sell" }, "Sell a ticket")));
  if (payouts.some((payout) => payout.status === "scheduled" && new Date(payout.releaseAt) - Date.now() < 60000)) {
    // A release due within the minute: look again, as the seller would.
    const timer = setTimeout(() => route(), 2000);
    leaving.push(() => clearTimeout(timer));
  }
}

// --- notifications ------------------------------------------------------------------

async function notificationsPage(show) {
  if (!me) return signInFirst();
  const { data } = await api("GET", "/api/notifications?limit=50");
  show("Notifications", data.length
    ? h("ul", { class: "cards" }, data.map((note) =>
        h("li", { class: "card" }, h("p", {}, note.message), h("p", {}, when(note.createdAt), ...noteLink(note)))))
    : h("p", { class: "note" }, "Nothing yet."));
}

/// Where a notification leads: a seller's payout to their payouts, another notice about an
/// order to that order, an account notice nowhere.
function noteLink(note) {
  if (note.kind.startsWith("payout.")) return [" · ", h("a", { href: "#/payouts" }, "your payouts")];
  return note.orderId ? [" · ", h("a", { href: `#/orders/${note.orderId}` }, "the order")] : [];
}

// --- routing ------------------------------------------------------------------------

const routes = [
  [/^#\/?$/, ticketsPage],
  [/^#\/tickets\/([^/]+)\/edit$/, editPage],
  [/^#\/tickets\/([^/]+)$/, ticketPage],
  [/^#\/sell$/, sellPage],
  [/^#\/orders$/, ordersPage],
  [/^#\/orders\/([^/]+)$/, orderPage],
  [/^#\/notifications$/, notificationsPage],
  [/^#\/payouts$/, payoutsPage],
  [/^#\/signin$/, signInPage],
  [/^#\/signup$/, signUpPage],
  [/^#\/forgot-password$/, forgotPasswordPage],
  [/^#\/reset-password$/, resetPasswordPage],
  [/^#\/verify-email$/, verifyEmailPage],
];

let generation = 0;

/// Shows the view of the address. A view still loading when the address changes again never
/// shows: only the newest one may.
async function route() {
  for (const stop of leaving) stop();
  leaving = [];
  const mine = ++generation;
  // A message said just before this view is about it: it stays; older ones go.
  if (Date.now() - saidAt > 1000) statusRegion.textContent = "";
  const show = (...page) => {
    if (mine === generation) render(...page);
  };
  markCurrentNav();
  const path = (location.hash || "#/").split("?")[0];
  const found = routes.find(([pattern]) => pattern.test(path));
  if (!found) return show("Page not found", h("p", {}, h("a", { href: "#/" }, "See the tickets for sale")));
  const [pattern, view] = found;
  try {
    await view(show, ...path.match(pattern).slice(1).map(decodeURIComponent));
  } catch (error) {
    if (error.status === 401) return signInAgain(error);
    const message = error.status === 404 ? "There is nothing here: it may have been removed." : error.message;
    show(error.status === 404 ? "Not found" : "Something went wrong", alertBox(message), h("p", {}, h("a", { href: "#/" }, "Back to the tickets")));
  }
}

window.addEventListener("hashchange", route);

document.querySelector(".skip").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

(async () => {
  config = (await api("GET", "/api/config").catch(() => ({ data: { payments: "test", testCards: [] } }))).data;
  await loadMe();
  await route();
})();
