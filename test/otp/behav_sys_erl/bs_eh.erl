%% The twin of bs_eh in test/otp/fixtures/behav_sys.ts (see test/otp/behav_sys.test.ts).
-module(bs_eh).
-behaviour(gen_event).
-export([init/1, handle_event/2, handle_call/2, handle_info/2, code_change/3, format_status/2]).
init(S) -> {ok, S}.
handle_event(crash, S) -> error({boom, S});
handle_event(E, S) -> {ok, [E | S]}.
handle_call(_, S) -> {ok, S, S}.
handle_info(_, S) -> {ok, S}.
code_change(_Old, _S, refuse) -> refused;
code_change(Old, S, Extra) -> {ok, {Old, S, Extra}}.
format_status(Opt, [_PD, S]) -> {fmt, Opt, S}.
