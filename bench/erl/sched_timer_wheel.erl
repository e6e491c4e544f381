%% BEAM twin of bench/sched/timer_wheel.ts: erlang:start_timer/3 then erlang:cancel_timer/1,
%% the life of a timeout that did not fire. Prints `name value unit` lines for bench/harness.ts.
-module(sched_timer_wheel).
-export([add_cancel/1]).

add_cancel(N) ->
    ok = loop(10000, self()),
    T0 = erlang:monotonic_time(nanosecond),
    ok = loop(N, self()),
    T1 = erlang:monotonic_time(nanosecond),
    io:format("sched.timer_wheel.add_cancel ~.6e ops/s~n", [N / ((T1 - T0) / 1.0e9)]).

loop(0, _Self) -> ok;
loop(I, Self) ->
    Ref = erlang:start_timer(5000 + (I band 1023), Self, x),
    case erlang:cancel_timer(Ref) of
        false -> error({timer_already_gone, I});
        Left when is_integer(Left) -> loop(I - 1, Self)
    end.
