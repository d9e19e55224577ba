// The public Keras-style API (src/index.ts re-exports it): tf.layers, tf.sequential, tf.model, tf.input,
// tf.initializers, tf.regularizers, plus IO (tf.io, tf.loadLayersModel) and training (tf.callbacks,
// tf.metrics) from their modules.
import type { LayerArgs } from './layer.js';
import { Activation, Dense, DenseArgs, Dropout, DropoutArgs, Flatten, InputLayer, InputLayerArgs, Reshape } from './layers/core.js';
import { Add, Concatenate } from './layers/merge.js';
import type { ActivationIdentifier } from './activations.js';
import { Cropping2D, Cropping2DArgs, UpSampling2D, UpSampling2DArgs, ZeroPadding2D, ZeroPadding2DArgs } from './layers/padding.js';
import {
  AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
  GlobalPooling2DArgs, MaxPooling1D, MaxPooling2D, Pooling1DArgs, Pooling2DArgs,
} from './layers/pooling.js';
import {
  Conv1D, Conv2D, Conv2DTranspose, ConvArgs, DepthwiseConv2D, DepthwiseConv2DArgs, SeparableConv2D, SeparableConv2DArgs,
} from './layers/conv.js';
import { LeakyReLU, LeakyReLUArgs, ReLU, ReLUArgs } from './layers/advanced-activations.js';
import { BatchNormalization, BatchNormalizationArgs } from './layers/normalization.js';
import { Embedding, EmbeddingArgs, Masking, MaskingArgs } from './layers/embedding.js';
import { GRU, LSTM, RecurrentLayerArgs, SimpleRNN } from './layers/recurrent.js';
import { Bidirectional, BidirectionalArgs, TimeDistributed, TimeDistributedArgs } from './layers/wrappers.js';
import { GRUCell, LSTMCell, RNN, RNNArgs, SimpleRNNCell, StackedRNNCells, type RecurrentCell } from './layers/rnn.js';

import { LayerNormalization, LayerNormalizationArgs } from './layers/layer-normalization.js';
import { Attention, AttentionArgs, MultiHeadAttention, MultiHeadAttentionArgs } from './layers/attention.js';
import {
  PositionEmbedding, PositionEmbeddingArgs, SinusoidalPositionEncoding, SinusoidalPositionEncodingArgs,
} from './layers/position.js';
import { TransformerEncoder, TransformerEncoderArgs } from './layers/transformer.js';
export { Layer, LayerVariable } from './layer.js';
export type { LayerArgs, CallArgs } from './layer.js';
export { SymbolicTensor, Node } from './symbolic.js';
export type { SymbolicShape } from './symbolic.js';
export { LayersModel, Sequential, model, sequential } from './model.js';
export type { ModelArgs } from './model.js';
export { input, InputLayer, Dense, Activation, Dropout, Flatten, Reshape } from './layers/core.js';
export { Concatenate, Add } from './layers/merge.js';
export { ZeroPadding2D, Cropping2D, UpSampling2D } from './layers/padding.js';
export {
  MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D,
  MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D,
} from './layers/pooling.js';
export { Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D } from './layers/conv.js';
export { ReLU, LeakyReLU } from './layers/advanced-activations.js';
export { BatchNormalization } from './layers/normalization.js';
export { Embedding, Masking } from './layers/embedding.js';
export { RecurrentLayer, SimpleRNN, LSTM, GRU } from './layers/recurrent.js';
export type { RecurrentLayerArgs } from './layers/recurrent.js';
export { Bidirectional, TimeDistributed } from './layers/wrappers.js';
export { RNN, SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells } from './layers/rnn.js';
export { LayerNormalization } from './layers/layer-normalization.js';
export { Attention, MultiHeadAttention } from './layers/attention.js';
export type { AttentionCallArgs, MultiHeadAttentionCallArgs } from './layers/attention.js';
export { SinusoidalPositionEncoding, PositionEmbedding } from './layers/position.js';
export type { PositionCallArgs } from './layers/position.js';
export { TransformerEncoder } from './layers/transformer.js';
export type { TransformerEncoderCallArgs } from './layers/transformer.js';
export { initializers, Initializer } from './initializers.js';
export { regularizers, Regularizer, L1L2 } from './regularizers.js';
export { modelTopology, modelFromTopology, registerLayerClass, serializeLayer, deserializeLayer } from './serialization.js';
export { io } from './io/index.js';
export { loadLayersModel } from './io/model-io.js';
export { callbacks, metrics, schedules } from './training/index.js';

/** The tfjs `tf.layers` namespace. */
export const layers = {
  dense: (args: DenseArgs) => new Dense(args),
  activation: (args: LayerArgs & { activation: ActivationIdentifier | string }) => new Activation(args),
  dropout: (args: DropoutArgs) => new Dropout(args),
  flatten: (args?: LayerArgs) => new Flatten(args),
  reshape: (args: LayerArgs & { targetShape: number[] }) => new Reshape(args),
  inputLayer: (args: InputLayerArgs) => new InputLayer(args),
  concatenate: (args?: LayerArgs & { axis?: number }) => new Concatenate(args),
  add: (args?: LayerArgs) => new Add(args),
  conv1d: (args: ConvArgs) => new Conv1D(args),
  conv2d: (args: ConvArgs) => new Conv2D(args),
  conv2dTranspose: (args: ConvArgs) => new Conv2DTranspose(args),
  depthwiseConv2d: (args: DepthwiseConv2DArgs) => new DepthwiseConv2D(args),
  separableConv2d: (args: SeparableConv2DArgs) => new SeparableConv2D(args),
  maxPooling2d: (args?: Pooling2DArgs) => new MaxPooling2D(args),
  averagePooling2d: (args?: Pooling2DArgs) => new AveragePooling2D(args),
  avgPool2d: (args?: Pooling2DArgs) => new AveragePooling2D(args),
  avgPooling2d: (args?: Pooling2DArgs) => new AveragePooling2D(args),
  maxPooling1d: (args?: Pooling1DArgs) => new MaxPooling1D(args),
  averagePooling1d: (args?: Pooling1DArgs) => new AveragePooling1D(args),
  avgPool1d: (args?: Pooling1DArgs) => new AveragePooling1D(args),
  avgPooling1d: (args?: Pooling1DArgs) => new AveragePooling1D(args),
  globalAveragePooling1d: (args?: LayerArgs) => new GlobalAveragePooling1D(args),
  globalMaxPooling1d: (args?: LayerArgs) => new GlobalMaxPooling1D(args),
  cropping2D: (args: Cropping2DArgs) => new Cropping2D(args),
  batchNormalization: (args?: BatchNormalizationArgs) => new BatchNormalization(args),
  zeroPadding2d: (args?: ZeroPadding2DArgs) => new ZeroPadding2D(args),
  upSampling2d: (args?: UpSampling2DArgs) => new UpSampling2D(args),
  globalAveragePooling2d: (args?: GlobalPooling2DArgs) => new GlobalAveragePooling2D(args),
  globalMaxPooling2d: (args?: GlobalPooling2DArgs) => new GlobalMaxPooling2D(args),
  reLU: (args?: ReLUArgs) => new ReLU(args),
  leakyReLU: (args?: LeakyReLUArgs) => new LeakyReLU(args),
  embedding: (args: EmbeddingArgs) => new Embedding(args),
  masking: (args?: MaskingArgs) => new Masking(args),
  simpleRNN: (args: RecurrentLayerArgs) => new SimpleRNN(args),
  lstm: (args: RecurrentLayerArgs) => new LSTM(args),
  gru: (args: RecurrentLayerArgs) => new GRU(args),
  bidirectional: (args: BidirectionalArgs) => new Bidirectional(args),
  timeDistributed: (args: TimeDistributedArgs) => new TimeDistributed(args),
  rnn: (args: RNNArgs) => new RNN(args),
  simpleRNNCell: (args: RecurrentLayerArgs) => new SimpleRNNCell(args),
  lstmCell: (args: RecurrentLayerArgs) => new LSTMCell(args),
  gruCell: (args: RecurrentLayerArgs) => new GRUCell(args),
  stackedRNNCells: (args: LayerArgs & { cells: RecurrentCell[] }) => new StackedRNNCells(args),
  layerNormalization: (args?: LayerNormalizationArgs) => new LayerNormalization(args),
  attention: (args?: AttentionArgs) => new Attention(args),
  multiHeadAttention: (args: MultiHeadAttentionArgs) => new MultiHeadAttention(args),
  sinusoidalPositionEncoding: (args?: SinusoidalPositionEncodingArgs) => new SinusoidalPositionEncoding(args),
  sinePositionEncoding: (args?: SinusoidalPositionEncodingArgs) => new SinusoidalPositionEncoding(args),
  positionEmbedding: (args: PositionEmbeddingArgs) => new PositionEmbedding(args),
  transformerEncoder: (args: TransformerEncoderArgs) => new TransformerEncoder(args),
};
