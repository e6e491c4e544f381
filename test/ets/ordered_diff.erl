%% Erlang side of the differential test in test/ets/ordered_store.test.ts: the same keys in an
%% ordered_set, and what first/next, last/prev, tab2list, foldr, next/prev/member of probe keys
%% give. Input: two lines of comma-separated hex ETF (keys, probes). Output: six lines of
%% comma-separated integers (the insertion index stored with each key; -1 for '$end_of_table').
-module(ordered_diff).
-export([main/2]).

main(In, Out) ->
    {ok, Bin} = file:read_file(In),
    [KeysLine, ProbesLine | _] = binary:split(Bin, <<"\n">>, [global]),
    Keys = terms(KeysLine),
    Probes = terms(ProbesLine),
    T = ets:new(t, [ordered_set]),
    lists:foldl(fun(K, I) -> ets:insert(T, {K, I}), I + 1 end, 0, Keys),
    Tab = [I || {_, I} <- ets:tab2list(T)],
    Fwd = walk(T, ets:first(T), fun ets:next/2),
    Bwd = walk(T, ets:last(T), fun ets:prev/2),
    Foldr = ets:foldr(fun({_, I}, A) -> [I | A] end, [], T),
    Nexts = [idx(T, ets:next(T, P)) || P <- Probes],
    Prevs = [idx(T, ets:prev(T, P)) || P <- Probes],
    Members = [case ets:member(T, P) of true -> 1; false -> 0 end || P <- Probes],
    ok = file:write_file(Out, [ints(L) || L <- [Tab, Fwd, Bwd, Foldr, Nexts, Prevs, Members]]).

terms(Line) -> [binary_to_term(binary:decode_hex(H)) || H <- binary:split(Line, <<",">>, [global, trim_all])].

idx(_, '$end_of_table') -> -1;
idx(T, K) -> [{_, I}] = ets:lookup(T, K), I.

walk(_, '$end_of_table', _) -> [];
walk(T, K, F) -> [idx(T, K) | walk(T, F(T, K), F)].

ints(L) -> [lists:join(",", [integer_to_list(I) || I <- L]), "\n"].
