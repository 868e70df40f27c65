// The policy layer in one include: the compiled policy and its evaluator, the store of
// the current and previous policy, deny-message snippets.
#pragma once

#include "authority/policy/blob.hpp"
#include "authority/policy/compiled_policy.hpp"
#include "authority/policy/op.hpp"
#include "authority/policy/store.hpp"
#include "authority/policy/suggest.hpp"
#include "authority/policy/version.hpp"
