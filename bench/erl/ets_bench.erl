%% The BEAM twin of bench/ets/ets.ts, run with erl +S 2: ETS operations/s with one process per
%% scheduler (bound with the undocumented {scheduler, N} spawn option), each doing its share.
%%
%%   ets.lookup.<table>          ets:lookup/2 of a present key
%%   ets.insert.<table>          ets:insert/2 of {Key, I} into a table that starts empty
%%   ets.update_counter.<table>  ets:update_counter(T, Key, 1) on {Key, 0} objects
%%   ets.owner_map.lookup        the baseline without ETS: a process owning a map answers
%%                               {get, From, Key} with {value, Key, Value}
%%   ets.match_spec.<spec>       objects/s through ets:match_spec_run/2 (one process, no table):
%%                               the engine select runs per object (bench/ets/match_spec.ts)
%%
%% <table> is set_rc (set, {read_concurrency, true}), set_wc (set, {write_concurrency, true}) or
%% ordered_set. The table holds the 100,000 integer keys 0..99999, inserted in the order
%% (I * 7919) rem 100000 for I = 0..99999 (7919 is prime to 100000: a permutation). Operation keys
%% come from the LCG X' = (X * 1103515245 + 12345) rem 2^31, Key = X rem 100000, started at
%% X = Worker (1, 2, ...) for each worker; bench/ets/ets.ts computes the same sequences.
%% Each measurement checks itself (keys found, counter sum, table size) and crashes if wrong.
%% Prints `name value unit` lines for bench/harness.ts.
-module(ets_bench).
-export([run/0, tables/1, owner_map/1, match_spec/1, lcg/1]).

-define(KEYS, 100000).
-define(TABLES, [{"set_rc", [set, public, {read_concurrency, true}]},
                 {"set_wc", [set, public, {write_concurrency, true}]},
                 {"ordered_set", [ordered_set, public]}]).

%% Everything, with the operation counts bench/ets/*.ts use.
run() -> tables(500000), owner_map(100000), match_spec(10).

%% Ops: the total number of operations per figure, shared among the schedulers.
tables(Ops) ->
    Workers = erlang:system_info(schedulers),
    lists:foreach(fun({Name, Opts}) -> table_figures(Name, Opts, Workers, Ops) end, ?TABLES).

owner_map(Ops) -> owner_map(erlang:system_info(schedulers), Ops).

out(Name, Value, Unit) -> io:format("~s ~p ~s~n", [Name, float(Value), Unit]).

%% (X * 1103515245 + 12345) rem 2^31 without a bignum on the way: X split into 16-bit halves.
lcg(X) ->
    M = 1103515245,
    ((((X bsr 16) * M) band 16#7fff) bsl 16 + (X band 16#ffff) * M + 12345) band 16#7fffffff.

filled(Opts, Value) ->
    T = ets:new(ets_bench, Opts),
    fill(T, 0, Value),
    T.

fill(_, ?KEYS, _) -> ok;
fill(T, I, Value) -> ets:insert(T, {(I * 7919) rem ?KEYS, Value}), fill(T, I + 1, Value).

%% Runs Fun(Worker, Count) in one process per scheduler; returns {Seconds, [Result]}.
parallel(Workers, Ops, Fun) ->
    Self = self(),
    Per = Ops div Workers,
    Start = erlang:monotonic_time(),
    Pids = [spawn_opt(fun() -> Self ! {done, self(), Fun(W, Per)} end, [{scheduler, W}])
            || W <- lists:seq(1, Workers)],
    Results = [receive {done, P, R} -> R end || P <- Pids],
    Seconds = erlang:convert_time_unit(erlang:monotonic_time() - Start, native, microsecond) / 1.0e6,
    {Seconds, Results}.

lookups(_, _, 0, Found) -> Found;
lookups(T, X, N, Found) ->
    K = X rem ?KEYS,
    [{K, _}] = ets:lookup(T, K),
    lookups(T, lcg(X), N - 1, Found + 1).

inserts(_, _, 0, Done) -> Done;
inserts(T, X, N, Done) ->
    ets:insert(T, {X rem ?KEYS, N}),
    inserts(T, lcg(X), N - 1, Done + 1).

counters(_, _, 0, Done) -> Done;
counters(T, X, N, Done) ->
    ets:update_counter(T, X rem ?KEYS, 1),
    counters(T, lcg(X), N - 1, Done + 1).

table_figures(Name, Opts, Workers, Ops) ->
    Per = Ops div Workers,
    Total = Per * Workers,
    %% lookups
    T1 = filled(Opts, 0),
    _ = parallel(Workers, Ops div 10, fun(W, N) -> lookups(T1, W, N, 0) end),
    {S1, Found} = parallel(Workers, Ops, fun(W, N) -> lookups(T1, W, N, 0) end),
    Total = lists:sum(Found),
    out("ets.lookup." ++ Name, Total / S1, "ops/s"),
    ets:delete(T1),
    %% inserts, into an empty table
    T2 = ets:new(ets_bench, Opts),
    _ = parallel(Workers, Ops div 10, fun(W, N) -> inserts(T2, W, N, 0) end),
    ets:delete_all_objects(T2),
    {S2, Inserted} = parallel(Workers, Ops, fun(W, N) -> inserts(T2, W, N, 0) end),
    Total = lists:sum(Inserted),
    Size = ets:info(T2, size),
    true = Size > 0 andalso Size =< ?KEYS,
    out("ets.insert." ++ Name, Total / S2, "ops/s"),
    ets:delete(T2),
    %% update_counter: the counters must add up to the number of increments
    T3 = filled(Opts, 0),
    _ = parallel(Workers, Ops div 10, fun(W, N) -> counters(T3, W, N, 0) end),
    Warm = ets:foldl(fun({_, C}, Acc) -> Acc + C end, 0, T3),
    {S3, Incremented} = parallel(Workers, Ops, fun(W, N) -> counters(T3, W, N, 0) end),
    Total = lists:sum(Incremented),
    Sum = ets:foldl(fun({_, C}, Acc) -> Acc + C end, 0, T3),
    Total = Sum - Warm,
    out("ets.update_counter." ++ Name, Total / S3, "ops/s"),
    ets:delete(T3).

%% The baseline: one process owns a map of the same 100,000 keys; clients ask it.
owner(Map) ->
    receive
        {get, From, Key} -> From ! {value, Key, maps:get(Key, Map)}, owner(Map);
        stop -> ok
    end.

asks(_, _, 0, Found) -> Found;
asks(Owner, X, N, Found) ->
    K = X rem ?KEYS,
    Owner ! {get, self(), K},
    receive {value, K, _} -> ok end,
    asks(Owner, lcg(X), N - 1, Found + 1).

owner_map(Workers, Ops) ->
    Map = maps:from_list([{(I * 7919) rem ?KEYS, I} || I <- lists:seq(0, ?KEYS - 1)]),
    Owner = spawn_opt(fun() -> owner(Map) end, [{scheduler, 1}]),
    _ = parallel(Workers, Ops div 10, fun(W, N) -> asks(Owner, W, N, 0) end),
    {S, Found} = parallel(Workers, Ops, fun(W, N) -> asks(Owner, W, N, 0) end),
    Total = (Ops div Workers) * Workers,
    Total = lists:sum(Found),
    out("ets.owner_map.lookup", Total / S, "ops/s"),
    Owner ! stop.

%% The match-spec engine alone: Rounds runs of ets:match_spec_run/2 over 100,000 objects
%% {I, even | odd, I * 3}; each spec's result count is checked.
match_spec(Rounds) ->
    Objects = [{I, case I rem 2 of 0 -> even; 1 -> odd end, I * 3} || I <- lists:seq(0, ?KEYS - 1)],
    Specs = [{"head", [{{'$1', even, '_'}, [], ['$1']}], 50000},
             {"guard", [{{'$1', even, '$2'}, [{'>', '$2', 150000}], ['$1']}], 24999},
             {"body", [{{'$1', '_', '$2'}, [{'=:=', {'rem', '$1', 10}, 0}], [{{'$1', {'+', '$2', 1}}}]}], 10000},
             {"nomatch", [{{'_', zzz, '_'}, [], ['$_']}], 0}],
    lists:foreach(fun({Name, Spec, Expected}) ->
        C = ets:match_spec_compile(Spec),
        Expected = length(ets:match_spec_run(Objects, C)),
        {T, ok} = timer:tc(fun() -> ms_rounds(Objects, C, Rounds, Expected) end),
        out("ets.match_spec." ++ Name, Rounds * ?KEYS / (T / 1.0e6), "objects/s")
    end, Specs).

ms_rounds(_, _, 0, _) -> ok;
ms_rounds(Objects, C, N, Expected) ->
    Expected = length(ets:match_spec_run(Objects, C)),
    ms_rounds(Objects, C, N - 1, Expected).
