// Precompiled header: the heavy, stable includes every op file needs (ATen + node-addon-api).
#pragma once
#include <napi.h>
#include <ATen/ATen.h>
