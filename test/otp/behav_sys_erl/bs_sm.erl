%% The twin of bs_sm in test/otp/fixtures/behav_sys.ts (see test/otp/behav_sys.test.ts).
-module(bs_sm).
-behaviour(gen_statem).
-export([init/1, callback_mode/0, idle/3, busy/3, code_change/4, terminate/3]).
init(N) -> {ok, idle, N}.
callback_mode() -> [state_functions, state_enter].
idle(enter, _, _) -> keep_state_and_data;
idle({call, From}, go, N) -> {next_state, busy, N + 1, [{reply, From, ok}, {state_timeout, 1000, tick}]};
idle({call, _}, crash, N) -> error({boom, N});
idle(cast, later, _) -> {keep_state_and_data, [postpone]};
idle(cast, {stop, R}, _) -> {stop, R};
idle(info, I, N) -> {next_state, busy, N, [{next_event, internal, I}, {timeout, 500, ev}, {{timeout, g}, 700, gen}]};
idle(_, _, _) -> keep_state_and_data.
busy(enter, _, _) -> keep_state_and_data;
busy(cast, later, N) -> {keep_state, N + 10};
busy(internal, I, N) -> {keep_state, {I, N}};
busy(cast, {stop, R}, _) -> {stop, R};
busy({call, From}, back, N) -> {next_state, idle, N, [{reply, From, N}]};
busy({call, _}, crash, N) -> error({boom, N});
busy(_, _, _) -> keep_state_and_data.
code_change(_Old, _State, _Data, refuse) -> refused;
code_change(Old, State, Data, Extra) -> {ok, State, {Old, Data, Extra}}.
terminate(_, _, _) -> ok.
