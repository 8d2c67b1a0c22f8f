-- wrk script of `make bench`'s notification_new scenario: each signed body POSTed once.
--
-- Arguments (after wrk's `--`): FILE FIRST THREADS. FILE holds one notification per line,
-- "<X-Signature>\t<body>". Thread t (1-based) sends lines FIRST + t - 1, then every
-- THREADS-th line after it, so no line is sent twice. When wrk is done, it prints
-- "bench-sent: <sent> <next-first> <exhausted>": how many were sent, the first line the
-- next run may use, and how many requests found the thread's lines used up (those
-- re-send its last body, which the shop answers as a replay: the run is then invalid).

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  local file, first, step = args[1], tonumber(args[2]), tonumber(args[3])
  sigs, bodies, sent, exhausted = {}, {}, 0, 0
  local line_number = 0
  for line in io.lines(file) do
    if line_number >= first and (line_number - first) % step == id - 1 then
      local tab = line:find("\t", 1, true)
      sigs[#sigs + 1] = line:sub(1, tab - 1)
      bodies[#bodies + 1] = line:sub(tab + 1)
    end
    line_number = line_number + 1
  end
  -- the line after the last one this thread could send, for the next run's FIRST
  first_after = first + step * #bodies
  used_step = step
  used_first = first
end

function request()
  local i = sent + 1
  if i > #bodies then
    exhausted = exhausted + 1
    i = #bodies
  else
    sent = i
  end
  return wrk.format("POST", "/invoicebox/notification",
    {["Content-Type"] = "application/json", ["X-Signature"] = sigs[i]}, bodies[i])
end

function done(summary, latency, requests)
  local total, next_first, dry = 0, 0, 0
  for _, thread in ipairs(threads) do
    local sent = thread:get("sent")
    total = total + sent
    dry = dry + thread:get("exhausted")
    local after = thread:get("used_first") + thread:get("used_step") * sent
    if after > next_first then next_first = after end
  end
  io.write(string.format("bench-sent: %d %d %d\n", total, next_first, dry))
end
