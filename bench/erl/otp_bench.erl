%% The BEAM twin of bench/otp/gen_server.ts: gen_server:call round trips/s, client and server on
%% one scheduler (run with +S 1: otp.call.same) and on two (+S 2, processes bound with the
%% undocumented {scheduler, N} spawn option: otp.call.cross). Prints `name value unit` lines.
-module(otp_bench).
-behaviour(gen_server).
-export([same/0, cross/0, init/1, handle_call/3, handle_cast/2]).

init([]) -> {ok, 0}.
handle_call(ping, _From, N) -> {reply, pong, N + 1}.
handle_cast(_, N) -> {noreply, N}.

calls(_Server, 0) -> ok;
calls(Server, N) -> pong = gen_server:call(Server, ping), calls(Server, N - 1).

measure(Name, ServerSched, ClientSched, N) ->
    {ok, Server} = gen_server:start(?MODULE, [], [{spawn_opt, [{scheduler, ServerSched}]}]),
    Self = self(),
    Run = fun(Count) ->
        spawn_opt(fun() -> calls(Server, Count), Self ! done end, [{scheduler, ClientSched}]),
        receive done -> ok end
    end,
    Run(20000),
    {T, ok} = timer:tc(fun() -> Run(N) end),
    io:format("~s ~p round_trips/s~n", [Name, float(N / (T / 1.0e6))]),
    gen_server:stop(Server).

same() -> measure("otp.call.same", 1, 1, 300000).
cross() -> measure("otp.call.cross", 1, 2, 100000).
