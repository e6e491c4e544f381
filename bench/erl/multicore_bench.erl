%% The BEAM twin of bench/sched/multicore.ts, run with erl +S 2: ping-pong between processes
%% bound to two different schedulers ({scheduler, N}, OTP's undocumented spawn_opt option), and
%% fan-in from 2 and 8 senders on one scheduler to a receiver on the other. Prints
%% `name value unit` lines for bench/harness.ts.
-module(multicore_bench).
-export([run/0, pong/0, receiver/2, sender/3]).

run() ->
    ping_pong(20000),
    {T1, ok} = timer:tc(fun() -> ping_pong(100000) end),
    out("multicore.ping_pong_cross", 100000 / (T1 / 1.0e6), "round_trips/s"),
    fan_in(2, 100000),
    {T2, ok} = timer:tc(fun() -> fan_in(2, 500000) end),
    out("multicore.fan_in_2", 2 * 500000 / (T2 / 1.0e6), "msgs/s"),
    {T3, ok} = timer:tc(fun() -> fan_in(8, 125000) end),
    out("multicore.fan_in_8", 8 * 125000 / (T3 / 1.0e6), "msgs/s"),
    ok.

out(Name, Value, Unit) -> io:format("~s ~p ~s~n", [Name, float(Value), Unit]).

ping_pong(N) ->
    Self = self(),
    Pong = spawn_opt(?MODULE, pong, [], [{scheduler, 1}]),
    Ping = spawn_opt(fun() -> ping(N, Pong), Self ! done end, [{scheduler, 2}]),
    receive done -> ok end,
    Pong ! stop,
    _ = Ping,
    ok.

ping(0, _) -> ok;
ping(N, Pong) -> Pong ! {ping, self()}, receive pong -> ok end, ping(N - 1, Pong).

pong() -> receive {ping, From} -> From ! pong, pong(); stop -> ok end.

fan_in(Senders, PerSender) ->
    Self = self(),
    Receiver = spawn_opt(?MODULE, receiver, [Senders * PerSender, Self], [{scheduler, 1}]),
    [spawn_opt(?MODULE, sender, [Receiver, PerSender, I], [{scheduler, 2}]) || I <- lists:seq(1, Senders)],
    receive {received, Count} -> Count = Senders * PerSender, ok end.

receiver(0, Report) -> Report ! {received, 0}, ok;
receiver(Total, Report) -> receiver_loop(Total, 0, Report, Total).

receiver_loop(0, _, Report, Total) -> Report ! {received, Total};
receiver_loop(Left, Sum, Report, Total) -> receive {msg, _, _} -> receiver_loop(Left - 1, Sum + 1, Report, Total) end.

sender(_, 0, _) -> ok;
sender(To, N, I) -> To ! {msg, I, N}, sender(To, N - 1, I).
