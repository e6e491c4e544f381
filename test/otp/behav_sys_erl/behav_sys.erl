%% The trace scenarios of test/otp/behav_sys.test.ts, run in erl 25: the *DBG* lines of
%% bs1, bs5 and be1 go to standard_io, where the test reads them.
-module(behav_sys).
-export([main/0]).
main() ->
  {ok, _} = gen_statem:start({local, bs1}, bs_sm, 5, []),
  sys:trace(bs1, true),
  gen_statem:cast(bs1, later),
  ok = gen_statem:call(bs1, go),
  _ = sys:get_status(bs1),
  16 = gen_statem:call(bs1, back),
  sys:trace(bs1, false),
  {ok, _} = gen_statem:start({local, bs5}, bs_sm, 1, [{debug, [trace]}]),
  gen_statem:cast(bs5, {stop, normal}),
  timer:sleep(50),
  {ok, _} = gen_event:start({local, be1}),
  ok = gen_event:add_handler(be1, bs_eh, [a]),
  ok = gen_event:add_handler(be1, {bs_eh, 2}, [b]),
  sys:trace(be1, true),
  gen_event:notify(be1, hi),
  ok = gen_event:sync_notify(be1, ho),
  _ = gen_event:call(be1, bs_eh, get),
  be1 ! info1,
  timer:sleep(50),
  sys:trace(be1, false),
  ok.
