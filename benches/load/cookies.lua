-- wrk script: each request carries one of the session cookies in $COOKIES_FILE (one
-- "name=value" a line), in turn, so every session is looked up.
local cookies = {}
local i = 0
function init(args)
  for line in io.lines(os.getenv("COOKIES_FILE")) do
    cookies[#cookies + 1] = line
  end
  -- Each wrk thread starts at a different place.
  i = math.random(#cookies)
end
function request()
  i = i % #cookies + 1
  wrk.headers["Cookie"] = cookies[i]
  return wrk.format("GET")
end
