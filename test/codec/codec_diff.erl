%% The Erlang side of test/codec/erl_differential.test.ts (run once per test run).
%%
%% main(InFile, OutFile):
%%   Direction 1: each input line "R <id> <opt> <hex>" holds an encoding made by beamjs;
%%   decode it with binary_to_term/1 and re-encode it with the options <opt>; write
%%   "R <id> <hex>" (or "R <id> ERR <reason>").
%%   Direction 2: encode this module's own corpus (hand-picked terms, including pids,
%%   refs, ports and closures made here, and seeded random terms) with every option
%%   set; write "E <name> <opt> <bigmap> <hex>", where <bigmap> is 1 when the term holds
%%   a map of more than 32 keys (those are compared by value).
%% Options: m0 = [{minor_version,0}], m1 = [{minor_version,1}], m2 = [{minor_version,2}],
%% c = [compressed].
-module(codec_diff).
-export([main/2]).

main(InFile, OutFile) ->
    {ok, Data} = file:read_file(InFile),
    [SeedLine | Lines] = binary:split(Data, <<"\n">>, [global, trim_all]),
    Seed = binary_to_integer(SeedLine),
    Dir1 = [direction1(L) || L <- Lines],
    Dir2 = direction2(Seed),
    ok = file:write_file(OutFile, [Dir1, Dir2]).

opts(<<"m0">>) -> [{minor_version, 0}];
opts(<<"m1">>) -> [{minor_version, 1}];
opts(<<"m2">>) -> [{minor_version, 2}];
opts(<<"c">>) -> [compressed].

direction1(Line) ->
    [<<"R">>, Id, Opt, Hex] = binary:split(Line, <<" ">>, [global]),
    Result =
        try binary:encode_hex(term_to_binary(binary_to_term(binary:decode_hex(Hex)), opts(Opt)))
        catch C:E -> iolist_to_binary(io_lib:format("ERR ~w:~w", [C, E]))
        end,
    [<<"R ">>, Id, <<" ">>, Result, <<"\n">>].

direction2(Seed) ->
    rand:seed(exsss, {Seed, Seed bxor 16#5deece66d, 7}),
    Named = corpus(),
    Random = [{"random" ++ integer_to_list(I), rand_term(4)} || I <- lists:seq(1, 150)],
    [[encode_line(Name, T, Opt) || Opt <- [<<"m0">>, <<"m1">>, <<"m2">>, <<"c">>]] || {Name, T} <- Named ++ Random].

encode_line(Name, T, Opt) ->
    Big = case has_big_map(T) of true -> <<"1">>; false -> <<"0">> end,
    [<<"E ">>, Name, <<" ">>, Opt, <<" ">>, Big, <<" ">>, binary:encode_hex(term_to_binary(T, opts(Opt))), <<"\n">>].

has_big_map(M) when is_map(M) ->
    map_size(M) > 32 orelse lists:any(fun has_big_map/1, maps:keys(M) ++ maps:values(M));
has_big_map(T) when is_tuple(T) -> lists:any(fun has_big_map/1, tuple_to_list(T));
has_big_map([H | T]) -> has_big_map(H) orelse has_big_map(T);
has_big_map(F) when is_function(F) ->
    case erlang:fun_info(F, type) of
        {type, local} -> {env, Env} = erlang:fun_info(F, env), lists:any(fun has_big_map/1, Env);
        _ -> false
    end;
has_big_map(_) -> false.

remote_pid() -> binary_to_term(<<131, 88, 100, 0, 8, "a@host.x", 0, 0, 1, 0, 0, 0, 0, 7, 0, 0, 0, 3>>).
remote_ref() -> binary_to_term(<<131, 90, 0, 3, 100, 0, 8, "a@host.x", 0, 0, 0, 3, 1:32, 2:32, 3:32>>).
remote_port(Id) -> binary_to_term(<<131, 120, 100, 0, 8, "a@host.x", Id:64, 0, 0, 0, 3>>).

corpus() ->
    Y = 42,
    Z = <<"free">>,
    Self = self(),
    Port = hd(erlang:ports()),
    Ints = [0, 1, 127, 128, 255, 256, -1, -128, -129, -256,
            (1 bsl 27) - 1, 1 bsl 27, -(1 bsl 27), -(1 bsl 27) - 1,
            (1 bsl 31) - 1, 1 bsl 31, -(1 bsl 31), -(1 bsl 31) - 1, 1 bsl 32,
            (1 bsl 53) - 1, 1 bsl 53, (1 bsl 53) + 1, -(1 bsl 53), -(1 bsl 53) - 1,
            (1 bsl 63), (1 bsl 64) - 1, 1 bsl 64, -(1 bsl 64), 1 bsl 100,
            (1 bsl 2040) - 1, 1 bsl 2040, -(1 bsl 3000) + 12345],
    Floats = [0.0, -0.0, 1.0, -1.0, 1.5, 0.1, -0.1, 1.0e300, -1.0e-300, 5.0e-324,
              1.7976931348623157e308, 2.2250738585072014e-308, 9007199254740992.0,
              9007199254740991.0, 123456789.0, 3.141592653589793, 1.0e21, 1.0e-7, 2.5e-5],
    Atoms = [a, '', 'hello world', 'åäö', 'ÿ', 'αβγ', '日本語', '😀', true, false, undefined, null,
             'nonode@nohost', list_to_atom(lists:duplicate(255, $x)),
             list_to_atom(lists:duplicate(255, 16#3b1)), list_to_atom(lists:duplicate(200, 16#e9)),
             '__proto__', 'constructor'],
    Bins = [<<>>, <<"hello">>, <<"héllo"/utf8>>, <<"日本"/utf8>>, <<255, 254>>, <<0>>,
            binary:copy(<<"abc">>, 40000), <<1:1>>, <<1, 2, 3:5>>, <<0:7>>, <<255:8, 1:3>>],
    Lists = [[], [1, 2, 3], "abc", lists:seq(0, 255), lists:duplicate(65535, 7),
             lists:duplicate(65536, 7), [256], [-1], [1 | 2], [a | b], [1, 2 | <<>>], [[]],
             ["a", [b]], [1.0], [1, 2 | 3], [1000, 2000], lists:seq(1, 1000)],
    Tuples = [{}, {a}, {a, b, c}, {{{{nested}}}}, list_to_tuple(lists:seq(1, 255)),
              list_to_tuple(lists:seq(1, 256)), {ok, Self, 42}],
    Maps = [#{}, #{a => 1}, #{b => 1, a => 2},
            #{1 => a, 1.0 => b, a => c, <<"k">> => d, {t} => e, [l] => f, #{} => g, 2 => h, 1.5 => i},
            maps:from_list([{list_to_atom("k" ++ integer_to_list(I)), I} || I <- lists:seq(1, 32)]),
            maps:from_list([{list_to_atom("k" ++ integer_to_list(I)), I} || I <- lists:seq(1, 33)]),
            maps:from_list([{I, I * 2} || I <- lists:seq(1, 100)]),
            #{true => 1, false => 2, undefined => 3, null => 4}, #{'__proto__' => 1, a => 2},
            #{"string key" => 1}, #{-1 => neg, 0 => zero, 1 => one}, #{#{a => 1} => nested}],
    Pids = [Self, spawn(fun() -> ok end), list_to_pid("<0.250.3>"), remote_pid()],
    Refs = [make_ref(), erlang:monitor(process, Self), alias(), remote_ref()],
    Ports = [Port, remote_port(5), remote_port(1 bsl 28), remote_port(1 bsl 40)],
    Funs = [fun lists:map/2, fun erlang:length/1, fun(X) -> X end, fun(X) -> X + Y end,
            fun() -> {Y, Z, Self} end, fun(A, B) -> {A, B, Y, Z, #{k => Y}} end, fun corpus/0,
            fun 'hello world'/0],
    Misc = [{Self, make_ref(), Port, fun(X) -> X * Y end, [1, 2.0, <<"x">>, 'åäö', #{k => v}]}],
    All = Ints ++ Floats ++ Atoms ++ Bins ++ Lists ++ Tuples ++ Maps ++ Pids ++ Refs ++ Ports ++ Funs ++ Misc,
    lists:zip(["c" ++ integer_to_list(I) || I <- lists:seq(1, length(All))], All).

'hello world'() -> ok.

rand_term(0) -> rand_leaf();
rand_term(D) ->
    case rand:uniform(10) of
        1 -> list_to_tuple([rand_term(D - 1) || _ <- lists:seq(1, rand:uniform(5) - 1)]);
        2 -> [rand_term(D - 1) || _ <- lists:seq(1, rand:uniform(5) - 1)];
        3 -> maps:from_list([{rand_term(D - 1), rand_term(D - 1)} || _ <- lists:seq(1, rand:uniform(6) - 1)]);
        4 -> [rand_term(D - 1) | rand_leaf()];
        5 when D > 2 -> maps:from_list([{rand_leaf(), rand_leaf()} || _ <- lists:seq(1, 30 + rand:uniform(20))]);
        6 -> maps:from_list([{rand_atom(), rand_term(D - 1)} || _ <- lists:seq(1, rand:uniform(6) - 1)]);
        _ -> rand_leaf()
    end.

rand_atom() ->
    element(rand:uniform(8), {a, b, ok, error, 'åäö', 'αβ', 'x y', list_to_atom("g" ++ integer_to_list(rand:uniform(40)))}).

rand_leaf() ->
    case rand:uniform(14) of
        1 -> rand:uniform(256) - 1;
        2 -> rand:uniform(1 bsl 40) - (1 bsl 39);
        3 -> (rand:uniform(1 bsl 62) - (1 bsl 61)) * (rand:uniform(1 bsl 30));
        4 -> (rand:uniform() - 0.5) * math:pow(10, rand:uniform(40) - 20);
        5 -> float(rand:uniform(1000) - 500);
        6 -> rand_atom();
        7 -> list_to_binary([rand:uniform(256) - 1 || _ <- lists:seq(1, rand:uniform(10) - 1)]);
        8 -> unicode:characters_to_binary([rand:uniform(16#3000) || _ <- lists:seq(1, rand:uniform(6) - 1)]);
        9 -> <<(rand:uniform(127)):7>>;
        10 -> [rand:uniform(256) - 1 || _ <- lists:seq(1, rand:uniform(6))];
        11 -> self();
        12 -> make_ref();
        13 -> Y = rand:uniform(100), fun(X) -> X + Y end;
        14 -> {}
    end.
