-- Neovim as the client of `credo lsp` (run by .ci/lsp.sh, headless).
-- Environment: CREDO (the binary), ROOT (a copy of the repository's
-- policies/ under ROOT/policies, whose new_advertiser.credo has a misspelt
-- field and a badly laid out rule), RESULT (where to write what was seen).
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
end)
finish(ok, err and tostring(err) or nil)
