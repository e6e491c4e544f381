%% The BEAM twin of bench/process/processes.ts: the same workloads, printed as
%% `name value unit` lines. Run with erl +S 1 by the harness.
-module(process_bench).
-export([run/0, pong/0, ring_node/1, idle/0]).

now_us() -> erlang:monotonic_time(microsecond).

run() ->
    %% The same warm-up runs as the beamjs side (which needs them for its JIT).
    ping_pong(100000),
    {T1, ok} = timer:tc(fun() -> ping_pong(1000000) end),
    out("process.ping_pong", 1000000 / (T1 / 1.0e6), "round_trips/s"),
    ring(1000, 100),
    {T2, ok} = timer:tc(fun() -> ring(1000, 1000) end),
    out("process.ring", 1000 * 1000 / (T2 / 1.0e6), "msgs/s"),
    spawn_idle(1000000),
    ref_receive(100000, 100000, 300000),
    ok.

out(Name, Value, Unit) -> io:format("~s ~p ~s~n", [Name, float(Value), Unit]).

ping_pong(N) ->
    Pong = spawn(?MODULE, pong, []),
    ping(N, Pong),
    Pong ! stop,
    ok.

ping(0, _) -> ok;
ping(N, Pong) -> Pong ! {ping, self()}, receive pong -> ok end, ping(N - 1, Pong).

pong() -> receive {ping, From} -> From ! pong, pong(); stop -> ok end.

ring(N, Laps) ->
    First = self(),
    Next = lists:foldl(fun(_, Prev) -> spawn(?MODULE, ring_node, [Prev]) end, First, lists:seq(1, N - 1)),
    Total = N * Laps,
    Next ! {token, Total - 1},
    ring_first(Next),
    ok.

ring_first(Next) ->
    receive
        {token, 0} -> Next ! stop, receive stop -> ok after 0 -> ok end;
        {token, K} -> Next ! {token, K - 1}, ring_first(Next)
    end.

ring_node(Next) ->
    receive
        {token, 0} -> Next ! {token, 0}, ring_wait_stop(Next);
        {token, K} -> Next ! {token, K - 1}, ring_node(Next);
        stop -> Next ! stop
    end.

ring_wait_stop(Next) -> receive stop -> Next ! stop end.

idle() -> receive stop -> ok end.

spawn_idle(Count) ->
    erlang:garbage_collect(),
    Before = erlang:memory(processes),
    Start = now_us(),
    Pids = [spawn(?MODULE, idle, []) || _ <- lists:seq(1, Count)],
    Elapsed = now_us() - Start,
    After = erlang:memory(processes),
    Count = length(Pids),
    out("process.spawn", Elapsed / Count, "us/process"),
    out("process.idle_bytes", (After - Before) / Count, "bytes/process"),
    [P ! stop || P <- Pids],
    ok.

ref_receive(Queued, Warmup, Rounds) ->
    Self = self(),
    [Self ! {noise, I} || I <- lists:seq(1, Queued)],
    ref_loop(0, Warmup, 0),
    Start = now_us(),
    Sum = ref_loop(0, Rounds, 0),
    Elapsed = now_us() - Start,
    Sum = Rounds * (Rounds - 1) div 2,
    out("process.ref_receive", Rounds / (Elapsed / 1.0e6), "receives/s"),
    flush(),
    ok.

ref_loop(I, Rounds, Sum) when I =:= Rounds -> Sum;
ref_loop(I, Rounds, Sum) ->
    Ref = make_ref(),
    self() ! {Ref, I},
    receive {Ref, N} -> ref_loop(I + 1, Rounds, Sum + N) end.

flush() -> receive _ -> flush() after 0 -> ok end.
