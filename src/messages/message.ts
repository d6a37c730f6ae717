/** A message as stored. */
export interface Message {
  /** Client-generated; the primary key is what makes sending idempotent. */
  messageId: string;
  roomId: string;
  /** Its place in the room: 1, 2, 3… with no gaps. */
  seq: number;
  senderId: string;
  content: string;
  createdAt: Date;
}
