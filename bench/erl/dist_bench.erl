%% The BEAM twin of bench/dist/round_trip.ts: message round trips/s between two erl nodes over
%% loopback distribution.
%%   One pair: {bench_echo, Node} ! {self(), I}, reply {echo, I}; client/2 prints
%%   `dist.rt.erl_erl V round_trips/s`.
%%   K pairs (clients/3): K client processes at once, client J talking to its own echo process
%%   {bench_echo_J, Node} (J = 1..K), each doing PerClient round trips; prints the aggregate
%%   `dist.rtK.erl_erl V round_trips/s` (K * PerClient over the wall time of all of them).
%% echo/0 runs on the serving node: it registers bench_echo and bench_echo_1..bench_echo_64.
%% Every echoed value is checked (the client exits on a wrong one).
-module(dist_bench).
-export([echo/0, client/2, clients/3]).

-define(MAX_PAIRS, 64).

echo() ->
    [register(echo_name(J), spawn(fun echo_loop/0)) || J <- lists:seq(1, ?MAX_PAIRS)],
    register(bench_echo, self()),
    echo_loop().

echo_name(J) -> list_to_atom("bench_echo_" ++ integer_to_list(J)).

echo_loop() ->
    receive
        {From, X} -> From ! {echo, X}, echo_loop();
        stop -> ok
    end.

loop(_Dest, 0) -> ok;
loop(Dest, N) ->
    Dest ! {self(), N},
    receive
        {echo, N} -> loop(Dest, N - 1);
        {echo, Other} -> exit({wrong_echo, Other, N})
    end.

client(Node, N) ->
    pong = net_adm:ping(Node),
    Dest = {bench_echo, Node},
    loop(Dest, 2000),
    {T, ok} = timer:tc(fun() -> loop(Dest, N) end),
    io:format("dist.rt.erl_erl ~p round_trips/s~n", [float(N / (T / 1.0e6))]).

%% K clients at once, each PerClient round trips with its own echo process; returns when all
%% reported their count.
run_pairs(Node, K, PerClient) ->
    Parent = self(),
    Pids = [spawn_link(fun() ->
                           loop({echo_name(J), Node}, PerClient),
                           Parent ! {done, self(), PerClient}
                       end) || J <- lists:seq(1, K)],
    [receive {done, Pid, PerClient} -> ok end || Pid <- Pids],
    ok.

clients(Node, K, PerClient) when K =< ?MAX_PAIRS ->
    pong = net_adm:ping(Node),
    run_pairs(Node, K, max(1, PerClient div 10)),
    {T, ok} = timer:tc(fun() -> run_pairs(Node, K, PerClient) end),
    io:format("dist.rt~p.erl_erl ~p round_trips/s~n", [K, float(K * PerClient / (T / 1.0e6))]).
