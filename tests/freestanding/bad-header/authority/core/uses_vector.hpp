// Fixture for the freestanding check's own test: a "core" header that pulls in a
// hosted header. The check must reject it.
#pragma once
#include <vector>
inline std::vector<int> hosted_only() { return {1, 2, 3}; }
