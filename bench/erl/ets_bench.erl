%% The BEAM twin of bench/ets/ets.ts (run with +S 2): ETS operations/s from two processes bound
%% to the two schedulers, keys K(i) = (i * 7919) rem 100000. Prints `name value unit` lines.
-module(ets_bench).
-export([run/0]).

-define(KEYS, 100000).
key(I) -> (I * 7919) rem ?KEYS.

work(lookup, T, I, End, Acc) when I < End ->
    K = key(I), [{K, V}] = ets:lookup(T, K), work(lookup, T, I + 1, End, Acc + (case V of K -> 1; _ -> 0 end));
work(insert, T, I, End, Acc) when I < End ->
    true = ets:insert(T, {key(I), I}), work(insert, T, I + 1, End, Acc + 1);
work(update_counter, T, I, End, Acc) when I < End ->
    K = key(I) rem 1000, N = ets:update_counter(T, K, 1, {K, 0}), work(update_counter, T, I + 1, End, Acc + (case N > 0 of true -> 1; false -> 0 end));
work(owner, Owner, I, End, Acc) when I < End ->
    K = key(I), Owner ! {get, self(), K},
    receive {reply, V} -> work(owner, Owner, I + 1, End, Acc + (case V of K -> 1; _ -> 0 end)) end;
work(_, _, _, _, Acc) -> Acc.

owner() ->
    M = maps:from_list([{I, I} || I <- lists:seq(0, ?KEYS - 1)]),
    owner_loop(M).
owner_loop(M) -> receive {get, From, K} -> From ! {reply, maps:get(K, M)}, owner_loop(M) end.

rate(Name, Unit, Kind, T, Per) ->
    Self = self(),
    {Us, ok} = timer:tc(fun() ->
        [spawn_opt(fun() -> Self ! {done, work(Kind, T, (S - 1) * Per, S * Per, 0)} end, [{scheduler, S}]) || S <- [1, 2]],
        Sum = lists:sum([receive {done, N} -> N end || _ <- [1, 2]]),
        Sum = 2 * Per, ok
    end),
    io:format("~s ~p ~s~n", [Name, float(2 * Per / (Us / 1.0e6)), Unit]).

run() ->
    Rc = ets:new(bench_rc, [public, {read_concurrency, true}]),
    Wc = ets:new(bench_wc, [public, {write_concurrency, true}]),
    ets:insert(Rc, [{I, I} || I <- lists:seq(0, ?KEYS - 1)]),
    rate("ets.lookup.rc", "lookups/s", lookup, Rc, 100000),
    rate("ets.insert.wc", "inserts/s", insert, Wc, 100000),
    rate("ets.update_counter.wc", "updates/s", update_counter, Wc, 100000),
    Owner = spawn_opt(fun owner/0, [{scheduler, 1}]),
    rate("ets.lookup.owner", "lookups/s", owner, Owner, 20000).
