#pragma once

namespace kernel {
// Runs the static constructors (.init_array), e.g. the self-test registrations.
void run_constructors() noexcept;
}  // namespace kernel
