%% The BEAM twin of bench/dist/erpc_call.ts, run on an erl client node against an erl server
%% node over loopback distribution: sequential erpc:call(Node, erlang, abs, [-K]) from one
%% process (each checked), and the time spawn/4 takes to answer for a node epmd does not know.
%% client/3 prints `dist.erpc.erl_erl V calls/s` and `dist.spawn_unreachable.erl_erl V ms`.
-module(erpc_bench).
-export([client/3]).

loop(_Node, 0) -> ok;
loop(Node, K) ->
    K = erpc:call(Node, erlang, abs, [-K]),
    loop(Node, K - 1).

client(Node, N, Nowhere) ->
    pong = net_adm:ping(Node),
    loop(Node, 1000),
    {T, ok} = timer:tc(fun() -> loop(Node, N) end),
    io:format("dist.erpc.erl_erl ~p calls/s~n", [float(N / (T / 1.0e6))]),
    {T2, Pid} = timer:tc(fun() -> spawn(Nowhere, lists, reverse, [[]]) end),
    true = is_pid(Pid),
    io:format("dist.spawn_unreachable.erl_erl ~p ms~n", [T2 / 1000]).
