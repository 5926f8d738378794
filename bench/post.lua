-- wrk script: POST a ~1 KB chat completion body (the same shape solar-bench-load sends).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local head = '{"model":"bench","max_tokens":16,"messages":[{"role":"user","content":"'
local tail = '"}]}'
local words = "the quick brown fox jumps over the lazy dog "
local fill = {}
local size = #head + #tail
while size < 1024 do
  local piece = words:sub(1, math.min(#words, 1024 - size))
  fill[#fill + 1] = piece
  size = size + #piece
end
wrk.body = head .. table.concat(fill) .. tail
