// Pretrained model families built on sinew's layers.
export * from './bert/index.js';
