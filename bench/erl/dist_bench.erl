%% The BEAM twin of bench/dist/round_trip.ts: message round trips/s between two erl nodes over
%% loopback distribution, one process pair ({bench_echo, Node} ! {self(), I}, reply {echo, I}).
%% echo/0 runs on the serving node; client/2 on the other prints `dist.rt.erl_erl V round_trips/s`.
-module(dist_bench).
-export([echo/0, client/2]).

echo() ->
    register(bench_echo, self()),
    echo_loop().

echo_loop() ->
    receive
        {From, X} -> From ! {echo, X}, echo_loop();
        stop -> ok
    end.

loop(_Dest, 0) -> ok;
loop(Dest, N) ->
    Dest ! {self(), N},
    receive {echo, N} -> loop(Dest, N - 1) end.

client(Node, N) ->
    pong = net_adm:ping(Node),
    Dest = {bench_echo, Node},
    loop(Dest, 2000),
    {T, ok} = timer:tc(fun() -> loop(Dest, N) end),
    io:format("dist.rt.erl_erl ~p round_trips/s~n", [float(N / (T / 1.0e6))]).
