%% Erlang side of test/ets/erl_differential.test.ts: runs scripts of ets operations and writes
%% their results. Input: hex of term_to_binary([{Type, [{Op, Args}]}]); each script runs on a
%% fresh public table of Type; every op is apply(ets, Op, [Tab | Args]) and gives {ok, Result}
%% or badarg; results of traversals (tab2list, match, match_object, select) are sorted.
-module(ets_diff).
-export([main/2]).

main(In, Out) ->
    {ok, Hex} = file:read_file(In),
    Scripts = binary_to_term(binary:decode_hex(string:trim(Hex))),
    Results = [run(S) || S <- Scripts],
    ok = file:write_file(Out, binary:encode_hex(term_to_binary(Results, [{minor_version, 2}]))).

run({Type, Ops}) ->
    T = ets:new(diff, [Type, public]),
    R = [norm(Op, one(T, Op, Args)) || {Op, Args} <- Ops],
    ets:delete(T),
    R.

one(T, Op, Args) ->
    try {ok, apply(ets, Op, [T | Args])}
    catch error:badarg -> badarg
    end.

norm(Op, {ok, L}) when is_list(L), Op =/= lookup, Op =/= take, Op =/= update_counter, Op =/= lookup_element -> {ok, lists:sort(L)};
norm(_, X) -> X.
