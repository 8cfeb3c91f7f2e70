/**
 * Whether a printed label reads as the name of a measurement (`loss`, `val_acc`, `top1`, `Acc@1`,
 * `mAP`), for output written as `label value` with only a space between: there the name is all that
 * tells a metric (`loss 0.25`) from a count or a setting (`Epoch 3`, `workers 8`).
 */
const METRIC_WORD =
  /(?:^|[^a-z])(?:loss|acc|accuracy|top-?\d+|prec|precision|recall|f1|fscore|auc|roc|ap|map|iou|miou|dice|ppl|perplexity|bleu|rouge\w*|mae|mse|rmse|r2|err|error|wer|cer|score|reward|return|psnr|ssim|nll|kl|entropy|lr)(?:$|[^a-z])/;

export function looksLikeMetricName(label: string): boolean {
  return METRIC_WORD.test(label.toLowerCase());
}
