// Adds tickets that arrive after the list was loaded, without a reload.
// Call data (caller numbers, service names) goes into the page only
// through textContent, never as HTML.
(function () {
  "use strict";

  var table = document.getElementById("ticket-table");
  // The server gives no feed to pages where new tickets do not belong
  // (older pages, the oldest-first order).
  if (!table || !window.fetch || !table.getAttribute("data-feed-url")) {
    return;
  }

  var body = table.tBodies[0];
  var notice = document.getElementById("feed-notice");
  var empty = document.getElementById("ticket-empty");
  var feedUrl = table.getAttribute("data-feed-url");
  var lastId = parseInt(table.getAttribute("data-last-id"), 10) || 0;
  var pollMs = parseInt(table.getAttribute("data-poll-ms"), 10) || 5000;
  var stopped = false;
  var mustReload = false;

  function showNotice(text) {
    notice.textContent = text;
    notice.hidden = false;
  }

  function addCell(row, text, className) {
    var cell = document.createElement("td");
    cell.textContent = text;
    if (className) {
      cell.className = className;
    }
    row.appendChild(cell);
    return cell;
  }

  function buildRow(ticket) {
    var row = document.createElement("tr");
    row.className = "ticket-row is-new";
    row.setAttribute("data-ticket-id", String(ticket.id));

    var codeCell = document.createElement("td");
    var link = document.createElement("a");
    // The server builds the link; take it only if it stays on this site.
    if (typeof ticket.url === "string" && /^\/[^\/\\]/.test(ticket.url)) {
      link.href = ticket.url;
    }
    link.textContent = ticket.tracking_code;
    codeCell.appendChild(link);
    row.appendChild(codeCell);

    addCell(row, ticket.caller, "num");
    addCell(row, ticket.caller_name || "", "caller-name");
    addCell(row, ticket.service);
    addCell(row, ticket.status_label);
    addCell(row, ticket.created);
    addCell(row, ticket.recording);
    return row;
  }

  function known(id) {
    return body.querySelector('tr[data-ticket-id="' + id + '"]') !== null;
  }

  function addTickets(tickets) {
    // The feed sends newest first; insert oldest first so the newest ends on top.
    for (var i = tickets.length - 1; i >= 0; i--) {
      var ticket = tickets[i];
      var id = Number(ticket.id);
      if (!Number.isInteger(id) || known(id)) {
        continue;
      }
      body.insertBefore(buildRow(ticket), body.firstChild);
    }
    if (body.rows.length && empty) {
      empty.hidden = true;
    }
  }

  function poll() {
    var separator = feedUrl.indexOf("?") < 0 ? "?" : "&";
    fetch(feedUrl + separator + "after=" + lastId, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (response.status === 401) {
          stopped = true;
          showNotice("نشست شما تمام شده است؛ دوباره وارد شوید.");
          return null;
        }
        if (!response.ok) {
          throw new Error("feed answered " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (!data) {
          return;
        }
        addTickets(data.tickets || []);
        lastId = Math.max(lastId, Number(data.last_id) || 0);
        if (data.truncated) {
          mustReload = true;
          showNotice("درخواست‌های تازه بیش از حد نمایش است؛ صفحه را دوباره بارگیری کنید.");
        } else if (!stopped && !mustReload) {
          notice.hidden = true;
        }
      })
      .catch(function () {
        mustReload = false;
        showNotice("ارتباط با سامانه برقرار نیست؛ دوباره تلاش می‌شود.");
      })
      .then(function () {
        if (!stopped) {
          window.setTimeout(poll, pollMs);
        }
      });
  }

  window.setTimeout(poll, pollMs);
})();
