/** The three mask-usage labels, in the fixed order used by every model output and confusion matrix. */
export const LABELS = ['correct', 'incorrect', 'no_mask'] as const;
export type Label = (typeof LABELS)[number];
export const NUM_LABELS = LABELS.length;

/** Folder and annotation names seen in public datasets, mapped to mask-edge labels. */
export const LABEL_ALIASES: Readonly<Record<string, Label>> = {
  correct: 'correct',
  with_mask: 'correct',
  mask: 'correct',
  with_face_mask: 'correct',
  mask_worn_correctly: 'correct',
  incorrect: 'incorrect',
  mask_weared_incorrect: 'incorrect',
  incorrect_mask: 'incorrect',
  mask_worn_incorrectly: 'incorrect',
  with_incorrect_mask: 'incorrect',
  mask_worn_incorrect: 'incorrect',
  mask_incorrect: 'incorrect',
  improper_mask: 'incorrect',
  no_mask: 'no_mask',
  without_mask: 'no_mask',
  nomask: 'no_mask',
  no_face_mask: 'no_mask',
  without_face_mask: 'no_mask',
};

export function isLabel(value: string): value is Label {
  return (LABELS as readonly string[]).includes(value);
}

/** Maps a folder/annotation name to a label, or undefined when it is not known. */
export function labelFromAlias(name: string): Label | undefined {
  return LABEL_ALIASES[name.trim().toLowerCase()];
}

export function labelIndex(label: Label): number {
  return LABELS.indexOf(label);
}
