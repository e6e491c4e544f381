%% The supervisor scenario of test/otp/supervisor_reports.test.ts, run in erl 25: a one_for_one
%% supervisor (intensity 3) of one worker sd_w; kill it (restarted); make its start fail and
%% kill it again (start_error, a try_again_restart that fails, then the shutdown at the
%% intensity). main(Out) writes the hex ETF of [{Label, Report}] of the supervisor reports, pids
%% masked as the atom pid.
-module(sup_diff).
-export([main/1, init/1, start_worker/1, log/2, handle_call/3, handle_cast/2]).

main(Out) ->
    register(sd_collector, self()),
    ok = logger:set_primary_config(level, info),
    ok = logger:remove_handler(default),
    ok = logger:add_handler(sd_cap, ?MODULE, #{}),
    {ok, Sup} = supervisor:start_link({local, sd_sup}, ?MODULE, []),
    unlink(Sup),
    MRef = monitor(process, Sup),
    W1 = whereis(sd_w),
    exit(W1, kill),
    W2 = wait_new(sd_w, W1),
    persistent_term:put(sd_fail, true),
    exit(W2, kill),
    receive {'DOWN', MRef, process, _, _} -> ok after 5000 -> exit(no_down) end,
    timer:sleep(50),
    Reports = collect(),
    ok = file:write_file(Out, binary:encode_hex(term_to_binary(mask(Reports)))).

wait_new(Name, Old) ->
    case whereis(Name) of
        P when is_pid(P), P =/= Old -> P;
        _ -> timer:sleep(1), wait_new(Name, Old)
    end.

collect() ->
    receive {report, L, R} -> [{L, R} | collect()] after 0 -> [] end.

mask(P) when is_pid(P) -> pid;
mask(L) when is_list(L) -> [mask(X) || X <- L];
mask(T) when is_tuple(T) -> list_to_tuple(mask(tuple_to_list(T)));
mask(X) -> X.

log(#{msg := {report, #{label := {supervisor, _} = L, report := R}}}, _) -> sd_collector ! {report, L, R};
log(_, _) -> ok.

init([]) ->
    {ok, {#{strategy => one_for_one, intensity => 3, period => 5},
          [#{id => sd_w, start => {?MODULE, start_worker, [sd_w]}, shutdown => 1000}]}};
init({worker, Id}) -> {ok, Id}.

start_worker(Id) ->
    case persistent_term:get(sd_fail, false) of
        true -> {error, nope};
        false -> gen_server:start_link({local, Id}, ?MODULE, {worker, Id}, [])
    end.

handle_call(_, _, S) -> {reply, ok, S}.
handle_cast(_, S) -> {noreply, S}.
