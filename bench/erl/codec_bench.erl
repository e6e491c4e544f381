%% BEAM twin of bench/codec/etf.ts: erlang:term_to_binary/1 and erlang:binary_to_term/1 on
%% the same two terms, timed in a loop. Prints `name value unit` lines for bench/harness.ts.
%%
%%   small  {ping, Pid, 12345}: the typical small message (an atom, a pid, an integer)
%%   map1k  a map of 32 atom keys (field_01 .. field_32): odd keys hold a 32-byte binary,
%%          even keys an integer; 1030 bytes encoded
%%
%% Each loop checks its result (the sum of encoded sizes, or the decoded term equal to the
%% original) so that a broken run cannot report a speed.
-module(codec_bench).
-export([run/1, small/0, map1k/0]).

small() -> {ping, c:pid(0, 80, 0), 12345}.

map1k() ->
    maps:from_list([{list_to_atom(lists:flatten(io_lib:format("field_~2..0w", [I]))), value(I)}
                    || I <- lists:seq(1, 32)]).

value(I) when I rem 2 =:= 1 ->
    list_to_binary(lists:duplicate(27, $x) ++ lists:flatten(io_lib:format("~5..0w", [I])));
value(I) -> I * 1000.

run(N) ->
    bench("small", small(), N),
    bench("map1k", map1k(), max(1, N div 10)).

bench(Name, Term, N) ->
    Bin = term_to_binary(Term),
    Size = byte_size(Bin),
    io:format("codec.size.~s ~w bytes~n", [Name, Size]),
    _ = encode_loop(Term, N div 10, 0),
    T0 = erlang:monotonic_time(nanosecond),
    Total = encode_loop(Term, N, 0),
    T1 = erlang:monotonic_time(nanosecond),
    Total =:= Size * N orelse error({bad_encode_total, Total}),
    report("codec.encode." ++ Name, N, Size, T1 - T0),
    _ = decode_loop(Bin, Term, N div 10),
    T2 = erlang:monotonic_time(nanosecond),
    ok = decode_loop(Bin, Term, N),
    T3 = erlang:monotonic_time(nanosecond),
    report("codec.decode." ++ Name, N, Size, T3 - T2).

report(Name, N, Size, Nanos) ->
    Seconds = Nanos / 1.0e9,
    io:format("~s ~.6e terms/s~n", [Name, N / Seconds]),
    io:format("~s.mb ~.6e MB/s~n", [Name, N * Size / Seconds / 1.0e6]).

encode_loop(_Term, 0, Acc) -> Acc;
encode_loop(Term, N, Acc) -> encode_loop(Term, N - 1, Acc + byte_size(term_to_binary(Term))).

decode_loop(_Bin, _Term, 0) -> ok;
decode_loop(Bin, Term, N) ->
    case binary_to_term(Bin) of
        Term -> decode_loop(Bin, Term, N - 1);
        Other -> error({bad_decode, Other})
    end.
