#pragma once

// Everything a model needs: tensors, factories, random numbers and every differentiable op.
#include "autograd/convolution.h"
#include "autograd/elementwise.h"
#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/indexing.h"
#include "autograd/linalg.h"
#include "autograd/losses.h"
#include "autograd/nn_functional.h"
#include "autograd/reductions.h"
#include "autograd/views.h"
#include "core/creation.h"
#include "core/random.h"
#include "core/tensor.h"
#include "core/threading.h"
