/** A message as stored. */
export interface Message {
  /** Client-generated; the primary key is what makes sending idempotent. */
  messageId: string;
  roomId: string;
  /** Its place in the room: 1, 2, 3… with no gaps. */
  seq: number;
  /** The room's change counter at this message's latest change (§9). */
  rev: number;
  senderId: string;
  /** Empty once deleted. */
  content: string;
  createdAt: Date;
  editedAt: Date | null;
  /** Set on a tombstone. */
  deletedAt: Date | null;
}
