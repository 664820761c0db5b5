-- Neovim as the client of `credo lsp` (run by .ci/lsp.sh, headless).
-- Environment: CREDO (the binary), ROOT (a copy of the repository's
-- policies/ under ROOT/policies, whose new_advertiser.credo has a misspelt
-- field and a badly laid out rule), RESULT (where to write what was seen).
-- It also follows a named condition of agency_partner.credo: definition,
-- hover and rename; and finds a pending snapshot's note on its example.
-- Works with Debian's Neovim 0.7: start_client, not vim.lsp.start.

local credo, root, result = os.getenv("CREDO"), os.getenv("ROOT"), os.getenv("RESULT")
local seen = {}
local function finish(ok, why)
  seen.ok = ok
  seen.why = why
  local f = io.open(result, "w")
  f:write(vim.fn.json_encode(seen))
  f:close()
  vim.cmd(ok and "qall!" or "cquit 1")
end

local ok, err = pcall(function()
  local file = root .. "/policies/new_advertiser.credo"
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = "credo"
  local client_id = vim.lsp.start_client({
    name = "credo",
    cmd = { credo, "lsp", "--policies", root .. "/policies" },
    root_dir = root,
  })
  assert(client_id, "the client did not start")
  vim.lsp.buf_attach_client(buf, client_id)

  -- The diagnostic for the misspelt field.
  assert(vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end, 50), "no diagnostics published")
  local d = vim.diagnostic.get(buf)[1]
  seen.diagnostic = { message = d.message, line = d.lnum, col = d.col, code = d.code }
  assert(d.message:find("unknown field `account.segmnt`", 1, true), "unexpected diagnostic: " .. d.message)
  assert(d.message:find("did you mean `account.segment`?", 1, true), "no did-you-mean: " .. d.message)

  -- Completion after `account.` on the line with the typo.
  local client = vim.lsp.get_client_by_id(client_id)
  local line = d.lnum
  local text = vim.api.nvim_buf_get_lines(buf, line, line + 1, false)[1]
  local dot = text:find("account.", 1, true) + #"account." - 1
  local reply = client.request_sync("textDocument/completion", {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = line, character = dot },
  }, 10000, buf)
  assert(reply and reply.result, "no completion answer")
  local items = reply.result.items or reply.result
  seen.completion = {}
  for _, item in ipairs(items) do table.insert(seen.completion, item.label) end
  assert(vim.tbl_contains(seen.completion, "segment"), "no `segment` among " .. table.concat(seen.completion, ", "))

  -- Formatting the buffer through the server.
  if vim.lsp.buf.format then
    vim.lsp.buf.format({ timeout_ms = 10000 })
  else
    vim.lsp.buf.formatting_sync(nil, 10000)
  end
  seen.formatted = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  assert(vim.tbl_contains(seen.formatted, "  deny not_smb"), "the rule was not laid out: " .. table.concat(seen.formatted, "\n"))

  -- A named condition: from a rule's `unless registered_agency_partner` to
  -- its definition, its hover, and a rename applied to the buffer.
  local partner = root .. "/policies/agency_partner.credo"
  vim.cmd("edit " .. vim.fn.fnameescape(partner))
  local pbuf = vim.api.nvim_get_current_buf()
  vim.bo[pbuf].filetype = "credo"
  vim.lsp.buf_attach_client(pbuf, client_id)
  local use_line, use_col
  for i, l in ipairs(vim.api.nvim_buf_get_lines(pbuf, 0, -1, false)) do
    local at = l:find("unless registered_agency_partner", 1, true)
    if at then use_line, use_col = i - 1, at - 1 + #"unless " + 2; break end
  end
  assert(use_line, "no use of the condition in agency_partner.credo")
  local at = { textDocument = { uri = vim.uri_from_bufnr(pbuf) }, position = { line = use_line, character = use_col } }
  local def = client.request_sync("textDocument/definition", at, 10000, pbuf)
  assert(def and def.result and def.result[1], "no definition for the condition")
  local target = def.result[1].range.start.line
  seen.condition_definition = vim.api.nvim_buf_get_lines(pbuf, target, target + 1, false)[1]
  assert(seen.condition_definition:find("^condition registered_agency_partner ="), "definition went to: " .. seen.condition_definition)
  local hover = client.request_sync("textDocument/hover", at, 10000, pbuf)
  assert(hover and hover.result, "no hover for the condition")
  seen.condition_hover = hover.result.contents.value
  assert(seen.condition_hover:find("agency.partner_status == registered_partner", 1, true), "hover: " .. seen.condition_hover)
  local rename = client.request_sync("textDocument/rename", vim.tbl_extend("force", at, { newName = "partner_in_good_standing" }), 10000, pbuf)
  assert(rename and rename.result, "no rename edit: " .. vim.inspect(rename))
  vim.lsp.util.apply_workspace_edit(rename.result, "utf-16")
  local renamed = table.concat(vim.api.nvim_buf_get_lines(pbuf, 0, -1, false), "\n")
  local _, uses = renamed:gsub("unless partner_in_good_standing", "")
  seen.condition_renamed_uses = uses
  assert(uses == 4 and renamed:find("condition partner_in_good_standing =", 1, true), "rename applied: " .. renamed)
  assert(not renamed:find("registered_agency_partner", 1, true), "the old name is left")

  -- A result waiting for review (snapshots/NAME.snap.new, made by .ci/lsp.sh)
  -- is a note on its example's fact file, with what it changes.
  local example = root .. "/policies/examples/registered_partner_spend_at_second_tier.yaml"
  vim.cmd("edit " .. vim.fn.fnameescape(example))
  local ebuf = vim.api.nvim_get_current_buf()
  local function pending_note()
    for _, x in ipairs(vim.diagnostic.get(ebuf)) do
      if x.source == "credo snapshot" then return x end
    end
  end
  assert(vim.wait(10000, function() return pending_note() ~= nil end, 50), "no pending-snapshot note on the example")
  local note = pending_note()
  seen.pending_snapshot = { message = note.message, severity = note.severity }
  assert(note.message:find("spend_milestone_credit: 1500.00 USD -> 250.00 USD", 1, true), "note: " .. note.message)
  assert(note.severity == vim.diagnostic.severity.INFO, "the note is not information: " .. tostring(note.severity))
end)
finish(ok, err and tostring(err) or nil)
