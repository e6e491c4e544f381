%% The gen_event scenario of test/otp/gen_event_diff.test.ts, run in erl: a handler (this
%% module) that traces its callbacks to the registered process ged_trace, and a list of
%% operations; writes one line per operation: {Index, Result, [Trace]} (~w, normalized: any
%% {'EXIT', _} becomes 'EXIT'). test/otp/fixtures/gen_event_diff.ts is the same in beamjs.
-module(gen_event_diff).
-behaviour(gen_event).
-export([main/1, init/1, handle_event/2, handle_call/2, handle_info/2, terminate/2]).

tr(X) -> ged_trace ! {trace, X}.

init({{swap, N}, Res}) -> tr({swap_init, N, Res}), {ok, N};
init({ok, N}) -> tr({init, N}), {ok, N};
init({err, _}) -> {error, nope};
init({other, _}) -> what;
init({crash, _}) -> error(boom).

handle_event(crash, _) -> error(boom);
handle_event(bad, _) -> bad_ret;
handle_event(remove, _) -> remove_handler;
handle_event({swap, M}, N) -> {swap_handler, {a1, N}, N, {gen_event_diff, M}, {swap, M}};
handle_event(E, N) -> tr({event, N, E}), {ok, N}.

handle_call(crash, _) -> error(boom);
handle_call(bad, _) -> bad_ret;
handle_call(remove, N) -> {remove_handler, {removed, N}};
handle_call({swap, M}, N) -> {swap_handler, {swapping, N}, {a1, N}, N, {gen_event_diff, M}, {swap, M}};
handle_call(Q, N) -> {ok, {reply, N, Q}, N}.

handle_info(I, N) -> tr({info, N, I}), {ok, N}.

terminate(A, N) -> tr({terminate, N, A}), {term_ret, N}.

norm({'EXIT', _}) -> 'EXIT';
norm(T) when is_tuple(T) -> list_to_tuple([norm(E) || E <- tuple_to_list(T)]);
norm(L) when is_list(L) -> [norm(E) || E <- L];
norm(P) when is_pid(P) -> pid;
norm(X) -> X.

flush() -> receive {trace, X} -> [norm(X) | flush()] after 0 -> [] end.

h(N) -> {gen_event_diff, N}.

ops(M) ->
    [fun() -> gen_event:add_handler(M, h(1), {ok, 1}) end,
     fun() -> gen_event:add_handler(M, h(2), {err, 2}) end,
     fun() -> gen_event:add_handler(M, h(3), {other, 3}) end,
     fun() -> gen_event:add_handler(M, h(4), {crash, 4}) end,
     fun() -> gen_event:add_handler(M, h(5), {ok, 5}) end,
     fun() -> gen_event:add_handler(M, gen_event_diff, {ok, 0}) end,
     fun() -> gen_event:which_handlers(M) end,
     fun() -> gen_event:notify(M, hello) end,
     fun() -> gen_event:sync_notify(M, world) end,
     fun() -> gen_event:call(M, h(1), q) end,
     fun() -> gen_event:call(M, h(9), q) end,
     fun() -> gen_event:call(M, h(5), bad) end,
     fun() -> gen_event:call(M, gen_event_diff, crash) end,
     fun() -> gen_event:which_handlers(M) end,
     fun() -> gen_event:add_handler(M, h(6), {ok, 6}) end,
     fun() -> gen_event:sync_notify(M, {swap, 7}) end,
     fun() -> gen_event:which_handlers(M) end,
     fun() -> gen_event:delete_handler(M, h(7), del) end,
     fun() -> gen_event:delete_handler(M, h(99), x) end,
     fun() -> gen_event:swap_handler(M, {h(7), s1}, {h(8), {swap, 8}}) end,
     fun() -> gen_event:swap_handler(M, {h(98), s1}, {h(9), {swap, 9}}) end,
     fun() -> gen_event:call(M, h(8), {swap, 10}) end,
     fun() -> gen_event:call(M, h(10), remove) end,
     fun() -> gen_event:add_handler(M, h(11), {ok, 11}) end,
     fun() -> M ! info1, gen_event:sync_notify(M, x) end,
     fun() -> gen_event:sync_notify(M, bad) end,
     fun() -> gen_event:which_handlers(M) end,
     fun() -> gen_event:add_handler(M, h(12), {ok, 12}) end,
     fun() -> gen_event:sync_notify(M, remove) end,
     fun() -> gen_event:add_handler(M, h(13), {ok, 13}) end,
     fun() -> gen_event:stop(M) end].

main(Out) ->
    logger:set_primary_config(level, none),
    register(ged_trace, self()),
    {ok, M} = gen_event:start(),
    Lines = run(ops(M), 1),
    ok = file:write_file(Out, [io_lib:format("~w~n", [L]) || L <- Lines]).

run([], _) -> [];
run([F | Fs], I) ->
    R = norm(catch F()),
    [{I, R, flush()} | run(Fs, I + 1)].
